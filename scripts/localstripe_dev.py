"""localstripe for `scripts/dev --cards`: card payments offline, typed in the browser, confirmed by webhook.

localstripe (PyPI) fakes Stripe's API and serves a test Stripe.js, but its
``confirmCardPayment`` only performs the 3-D Secure step of an intent that
already has a card: a card typed into its card element is never sent. This
launcher runs localstripe's own aiohttp app on loopback with two additions under
``/js.stripe.com/peerlearn/`` (a prefix localstripe serves without an API key):

* ``v3/``: localstripe's Stripe.js followed by a shim whose ``confirmCardPayment``
  sends the card element's values to ``confirm_card`` first (as Stripe.js does
  with Stripe), then falls back to localstripe's 3-D Secure dialog when the card
  asks for it;
* ``confirm_card``: checks the intent's client secret, creates the payment
  method from the typed card, puts it on the intent and confirms it, the way
  Stripe confirms an intent for Stripe.js.

It also registers the site's webhook endpoint with its signing secret, so
localstripe delivers ``payment_intent.succeeded`` (signed as Stripe signs) and
the booking is confirmed the way production confirms it. Nothing here is used
outside development.

    python scripts/localstripe_dev.py --port 8420 \
        --webhook-url http://127.0.0.1:8000/payments/webhooks/stripe/ --webhook-secret whsec_dev
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import register_webhook

PREFIX = "/js.stripe.com/peerlearn"

SHIM = """
// PeerLearn development shim (scripts/localstripe_dev.py): send the typed card like Stripe.js does.
(function () {
  const localStripe = Stripe;
  const base = document.currentScript.src.match(/https?:\\/\\/[^\\/]*/)[0];
  Stripe = function (key) {
    const stripe = localStripe(key);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async function (clientSecret, data) {
      const method = (data && data.payment_method) || {};
      const element = method.card;
      if (!element || !element.value || !element.value.card) {
        return authenticate(clientSecret, data);
      }
      let answer;
      try {
        const response = await fetch(base + "__PREFIX__/confirm_card", {
          method: "POST",
          body: JSON.stringify({
            client_secret: clientSecret,
            card: element.value.card,
            billing_details: method.billing_details || {},
          }),
        });
        answer = await response.json().catch(() => ({}));
        if (!response.ok || answer.error) {
          return { error: answer.error || { message: "The card was refused." } };
        }
      } catch (error) {
        return { error: { message: "localstripe could not be reached." } };
      }
      if (answer.status === "requires_action") {
        return authenticate(clientSecret, data);  // localstripe's 3-D Secure dialog
      }
      return { paymentIntent: answer };
    };
    return stripe;
  };
})();
""".replace("__PREFIX__", PREFIX)


async def stripe_js(request: web.Request) -> web.Response:
    source = (Path(server.__file__).parent / "localstripe-v3.js").read_text(encoding="utf-8")
    return web.Response(text=source + SHIM, content_type="application/javascript")


async def confirm_card(request: web.Request) -> web.Response:
    """Confirm an intent with the card typed in the browser, authorised by the intent's client secret."""
    try:
        data = await request.json()
        client_secret = str(data["client_secret"])
        card = dict(data["card"])
    except (ValueError, KeyError, TypeError):
        raise UserError(400, "Bad request") from None
    intent_id = client_secret.split("_secret_")[0]
    intent = resources.PaymentIntent._api_retrieve(intent_id)
    if client_secret != intent.client_secret:
        raise UserError(401, "Unauthorized")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise UserError(400, f"This payment is {intent.status.replace('_', ' ')}.")
    number = "".join(str(card.get("number", "")).split())
    if not (number.isdigit() and len(number) == 16):
        raise UserError(400, "Your card number is incomplete.", {"code": "incomplete_number"})
    if len(str(card.get("cvc", ""))) != 3:
        raise UserError(400, "Your card's security code is incomplete.", {"code": "incomplete_cvc"})
    method = resources.PaymentMethod(
        type="card",
        card={
            "number": number,
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
            "cvc": str(card.get("cvc", "")),
        },
        billing_details=data.get("billing_details") or None,
    )
    if method._attaching_is_declined():
        raise UserError(402, "Your card was declined.", {"code": "card_declined"})
    intent.payment_method = method.id
    intent._confirm(on_failure_now=intent._report_failure)
    return web.json_response(intent._export())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook-url", required=True, help="the site's /payments/webhooks/stripe/")
    parser.add_argument("--webhook-secret", required=True, help="the Stripe plugin's webhook signing secret")
    args = parser.parse_args()

    resources.store.dump_to_disk = lambda *a, **k: None  # no shared /tmp/localstripe.pickle: state lives in memory
    register_webhook("peerlearn", args.webhook_url, args.webhook_secret, None)
    server.app.router.add_get(f"{PREFIX}/v3/", stripe_js)
    server.app.router.add_post(f"{PREFIX}/confirm_card", confirm_card)
    logging.basicConfig(level=logging.INFO, format="localstripe: %(message)s")
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
