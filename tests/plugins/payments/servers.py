"""Local stand-ins for the payment providers' APIs: nothing in the tests touches the internet.

* :class:`LocalStripe` runs ``localstripe`` (PyPI), a stateful fake of Stripe's
  API that the official SDK talks to, on a free localhost port.
* :class:`FakeRazorpay` is a small threaded HTTP server answering the calls the
  Razorpay SDK makes for orders, payments and refunds, with Razorpay's JSON
  shapes and error format; tests drive the "learner paid" side with methods.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port_url() -> str:
    """A localhost URL nobody listens on: a gateway that is down."""
    return f"http://127.0.0.1:{free_port()}"


def _wait_for_port(port: int, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


class LocalStripe:
    """``localstripe --port N --from-scratch`` in a subprocess.

    ``--from-scratch``: localstripe otherwise loads its state from the one file
    ``/tmp/localstripe.pickle`` that every instance on the machine rewrites, so
    two test runs at once (or one killed mid-write) start from another run's
    state or fail on a truncated file.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.js_url = f"{self.url}/js.stripe.com/v3/"
        self.process: subprocess.Popen | None = None

    def start(self) -> LocalStripe:
        for attempt in range(3):  # another process may take the free port first
            self.process = subprocess.Popen(
                [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                _wait_for_port(self.port, process=self.process)
                return self
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                self.js_url = f"{self.url}/js.stripe.com/v3/"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


# --- Razorpay ------------------------------------------------------------------


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": {"code": code, "description": description, "source": "NA", "step": "NA", "reason": "NA"}}


class FakeRazorpay:
    """The subset of Razorpay's API the plugin uses, kept in memory."""

    def __init__(self, key_id: str, key_secret: str) -> None:
        self.key_id = key_id
        self.key_secret = key_secret
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.refund_keys: dict[str, str] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        #: "processed" (instant) or "pending" (settled later by refund.processed).
        self.refund_status = "processed"
        self.requests: list[tuple[str, str]] = []
        #: seconds to hold back the answer to each of the next order creations (the order is made
        #: at once): a client with a shorter timeout gives up, as when an answer is lost in an outage
        self.stalled_creates: list[float] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> FakeRazorpay:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = fake.handle(method, self.path, dict(self.headers), raw)
                stall = fake.take_stall(method, self.path, status)
                if stall:
                    time.sleep(stall)
                with contextlib.suppress(OSError):  # the client may have given up meanwhile
                    self._answer(status, body)

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_PATCH(self) -> None:  # noqa: N802
                self._handle("PATCH")

        port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    # --- the HTTP API -------------------------------------------------------------

    def take_stall(self, method: str, path: str, status: int) -> float:
        """How long to hold back this answer (a successful order creation while stalls are queued)."""
        with self._lock:
            if method == "POST" and path.split("?")[0].rstrip("/") == "/v1/orders" and status == 200:
                return self.stalled_creates.pop(0) if self.stalled_creates else 0.0
        return 0.0

    def orders_with_receipt(self, receipt: str) -> list[dict[str, Any]]:
        with self._lock:
            return [order for order in self.orders.values() if order["receipt"] == receipt]

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path.split("?")[0]))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        expected = "Basic " + base64.b64encode(f"{self.key_id}:{self.key_secret}".encode()).decode()
        if {k.lower(): v for k, v in headers.items()}.get("authorization") != expected:
            return 401, _error("BAD_REQUEST_ERROR", "The api key provided is invalid")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return 400, _error("BAD_REQUEST_ERROR", "The request body is not JSON")
        path = path.split("?")[0].rstrip("/")
        with self._lock:
            if method == "POST" and path == "/v1/orders":
                return self._create_order(data)
            if method == "GET" and path == "/v1/orders":
                return self._list_orders(query)
            if match := re.fullmatch(r"/v1/orders/(order_\w+)", path):
                return self._found(self.orders.get(match[1]))
            if match := re.fullmatch(r"/v1/orders/(order_\w+)/payments", path):
                if match[1] not in self.orders:
                    return self._found(None)
                items = [p for p in self.payments.values() if p.get("order_id") == match[1]]
                return 200, {"entity": "collection", "count": len(items), "items": items}
            if match := re.fullmatch(r"/v1/payments/(pay_\w+)", path):
                return self._found(self.payments.get(match[1]))
            if method == "POST" and (match := re.fullmatch(r"/v1/payments/(pay_\w+)/refund", path)):
                key = {k.lower(): v for k, v in headers.items()}.get("x-refund-idempotency", "")
                return self._refund(match[1], data, key)
            if method == "POST" and path == "/v1/plans":
                return self._create_plan(data)
            if method == "GET" and (match := re.fullmatch(r"/v1/plans/(plan_\w+)", path)):
                return self._found(self.plans.get(match[1]))
            if method == "POST" and path == "/v1/subscriptions":
                return self._create_subscription(data)
            if match := re.fullmatch(r"/v1/subscriptions/(sub_\w+)", path):
                if method == "PATCH":
                    return self._update_subscription(match[1], data)
                return self._found(self.subscriptions.get(match[1]))
            if method == "POST" and (match := re.fullmatch(r"/v1/subscriptions/(sub_\w+)/cancel", path)):
                return self._cancel_subscription(match[1], data)
        return 404, _error("BAD_REQUEST_ERROR", "The requested URL was not found on the server.")

    @staticmethod
    def _found(entity: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        if entity is None:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        return 200, entity

    def _create_order(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        amount = data.get("amount")
        if not isinstance(amount, int) or amount < 100:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00")
        if not isinstance(data.get("currency"), str) or len(data["currency"]) != 3:
            return 400, _error("BAD_REQUEST_ERROR", "The currency field is invalid.")
        order = {
            "id": self._id("order"),
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": data["currency"],
            "receipt": data.get("receipt"),
            "status": "created",
            "attempts": 0,
            "notes": data.get("notes") or {},
            "created_at": int(time.time()),
        }
        self.orders[order["id"]] = order
        return 200, order

    def _list_orders(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """``GET /v1/orders``: newest first, filtered by ``receipt``, paged by ``count`` (at most 100) and ``skip``."""
        try:
            count, skip = int(query.get("count", ["10"])[0]), int(query.get("skip", ["0"])[0])
        except ValueError:
            return 400, _error("BAD_REQUEST_ERROR", "The count must be an integer.")
        if not 1 <= count <= 100 or skip < 0:
            return 400, _error("BAD_REQUEST_ERROR", "The count may not be greater than 100.")
        orders = sorted(self.orders.values(), key=lambda o: (o["created_at"], o["id"]), reverse=True)
        if "receipt" in query:
            orders = [order for order in orders if order["receipt"] == query["receipt"][0]]
        items = orders[skip : skip + count]
        return 200, {"entity": "collection", "count": len(items), "items": items}

    def _refund(self, payment_id: str, data: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return self._found(None)
        if key and key in self.refund_keys:
            return 200, self.refunds[self.refund_keys[key]]
        amount = data.get("amount", payment["amount"] - payment["amount_refunded"])
        if payment["status"] not in ("captured", "refunded"):
            return 400, _error("BAD_REQUEST_ERROR", "The payment has not been captured")
        if not isinstance(amount, int) or amount <= 0:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be a positive integer")
        if amount > payment["amount"] - payment["amount_refunded"]:
            return 400, _error("BAD_REQUEST_ERROR", "The refund amount provided is greater than amount captured")
        refund = {
            "id": self._id("rfnd"),
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment_id,
            "notes": data.get("notes") or {},
            "receipt": data.get("receipt"),
            "status": self.refund_status,
            "speed_requested": data.get("speed", "normal"),
            "created_at": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        if key:
            self.refund_keys[key] = refund["id"]
        payment["amount_refunded"] += amount
        payment["refund_status"] = "full" if payment["amount_refunded"] == payment["amount"] else "partial"
        if payment["amount_refunded"] == payment["amount"]:
            payment["status"] = "refunded"
        return 200, refund

    # --- plans and subscriptions -----------------------------------------------------

    def _create_plan(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        item = data.get("item") or {}
        if data.get("period") not in ("daily", "weekly", "monthly", "yearly"):
            return 400, _error("BAD_REQUEST_ERROR", "The period field is invalid.")
        if not isinstance(data.get("interval"), int) or data["interval"] < 1:
            return 400, _error("BAD_REQUEST_ERROR", "The interval must be at least 1.")
        if not isinstance(item.get("amount"), int) or item["amount"] < 100:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00")
        if not isinstance(item.get("currency"), str) or len(item["currency"]) != 3 or not item.get("name"):
            return 400, _error("BAD_REQUEST_ERROR", "The item name and currency are required.")
        plan = {
            "id": self._id("plan"),
            "entity": "plan",
            "interval": data["interval"],
            "period": data["period"],
            "item": {"id": self._id("item"), "active": True, **item},
            "notes": data.get("notes") or [],
            "created_at": int(time.time()),
        }
        self.plans[plan["id"]] = plan
        return 200, plan

    def _create_subscription(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if data.get("plan_id") not in self.plans:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        if not isinstance(data.get("total_count"), int) or data["total_count"] < 1:
            return 400, _error("BAD_REQUEST_ERROR", "The total count field is required.")
        start_at = data.get("start_at")
        sub = {
            "id": self._id("sub"),
            "entity": "subscription",
            "plan_id": data["plan_id"],
            "status": "created",
            "total_count": data["total_count"],
            "paid_count": 0,
            "remaining_count": data["total_count"],
            "customer_notify": data.get("customer_notify", 1),
            "start_at": start_at,
            "current_start": None,
            "current_end": None,
            "charge_at": start_at,
            "ended_at": None,
            "has_scheduled_changes": False,
            "notes": data.get("notes") or [],
            "short_url": "https://rzp.io/i/test",
            "created_at": int(time.time()),
        }
        self.subscriptions[sub["id"]] = sub
        return 200, sub

    def _update_subscription(self, sub_id: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            return self._found(None)
        if data.get("plan_id") not in self.plans:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        if sub["status"] not in ("active", "authenticated"):
            return 400, _error("BAD_REQUEST_ERROR", "Subscription can only be updated when it is active.")
        sub["plan_id"] = data["plan_id"]
        return 200, sub

    def _cancel_subscription(self, sub_id: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            return self._found(None)
        if sub["status"] in ("cancelled", "completed", "expired"):
            return 400, _error("BAD_REQUEST_ERROR", "Subscription is not cancellable in cancelled status.")
        if data.get("cancel_at_cycle_end") not in (1, True):
            sub.update(status="cancelled", ended_at=int(time.time()))
        return 200, sub

    def authorize(self, sub_id: str) -> dict[str, Any]:
        """The customer authorises the subscription in Checkout (the first charge when it has no trial)."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            plan = self.plans[sub["plan_id"]]
            now = int(time.time())
            payment = {
                "id": self._id("pay"),
                "entity": "payment",
                "amount": plan["item"]["amount"],
                "currency": plan["item"]["currency"],
                "status": "captured",
                "order_id": None,
                "invoice_id": self._id("inv"),
                "method": "card",
                "amount_refunded": 0,
                "created_at": now,
            }
            self.payments[payment["id"]] = payment
            trial = sub.get("start_at") and sub["start_at"] > now
            sub.update(status="authenticated" if trial else "active", current_start=now)
            if not trial:
                sub.update(paid_count=1, remaining_count=sub["total_count"] - 1, current_end=now + 30 * 86400)
            return payment

    def charge(self, sub_id: str) -> dict[str, Any]:
        """A renewal charged: a captured payment with its invoice."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            plan = self.plans[sub["plan_id"]]
            payment = {
                "id": self._id("pay"),
                "entity": "payment",
                "amount": plan["item"]["amount"],
                "currency": plan["item"]["currency"],
                "status": "captured",
                "invoice_id": self._id("inv"),
                "method": "card",
                "created_at": int(time.time()),
            }
            self.payments[payment["id"]] = payment
            period = 365 if plan["period"] == "yearly" else 30
            sub.update(
                status="active",
                paid_count=sub["paid_count"] + 1,
                current_start=int(time.time()),
                current_end=int(time.time()) + period * 86400,
            )
            return payment

    def subscription_checkout_signature(self, payment_id: str, sub_id: str) -> str:
        """What Checkout hands the browser for a subscription: HMAC-SHA256(key_secret, "payment|subscription")."""
        return hmac.new(self.key_secret.encode(), f"{payment_id}|{sub_id}".encode(), hashlib.sha256).hexdigest()

    # --- what the learner and Razorpay do (test side) --------------------------------

    def pay(self, order_id: str) -> dict[str, Any]:
        """The learner pays the order in Checkout and the payment is captured."""
        with self._lock:
            order = self.orders[order_id]
            payment = self._payment(order, "captured")
            order.update(status="paid", amount_paid=order["amount"], amount_due=0, attempts=order["attempts"] + 1)
            return payment

    def decline(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            order = self.orders[order_id]
            order.update(status="attempted", attempts=order["attempts"] + 1)
            payment = self._payment(order, "failed")
            payment.update(error_code="BAD_REQUEST_ERROR", error_description="Your payment was declined by the bank.")
            return payment

    def _payment(self, order: dict[str, Any], status: str) -> dict[str, Any]:
        payment = {
            "id": self._id("pay"),
            "entity": "payment",
            "amount": order["amount"],
            "currency": order["currency"],
            "status": status,
            "order_id": order["id"],
            "method": "card",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": status == "captured",
            "email": "learner@example.org",
            "error_code": None,
            "error_description": None,
            "created_at": int(time.time()),
        }
        self.payments[payment["id"]] = payment
        return payment

    def settle_refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            self.refunds[refund_id]["status"] = "processed"
            return self.refunds[refund_id]

    def checkout_signature(self, order_id: str, payment_id: str) -> str:
        """What Checkout hands the browser: HMAC-SHA256(key_secret, "order|payment")."""
        return hmac.new(self.key_secret.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256).hexdigest()

    def holds(self, order_id: str) -> int:
        """What Razorpay holds for the order: captured minus refunded."""
        return sum(
            p["amount"] - p["amount_refunded"]
            for p in self.payments.values()
            if p.get("order_id") == order_id
            and p["status"] in ("captured", "refunded")  # subscription payments have none
        )
