"""Site URLs of premium plans, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "subscriptions"
urlpatterns = [
    path("subscriptions/webhooks/<slug:gateway>/", views.webhook, name="webhook"),
    path("plans/", views.plans_page, name="plans"),
    path("plans/subscribe/", views.subscribe, name="subscribe"),
    path("plans/subscribe/<int:subscription_id>/confirm/", views.confirm, name="confirm"),
    path("plans/mine/", views.my_plan, name="mine"),
    path("plans/mine/status/", views.status, name="status"),
    path("plans/mine/change/", views.change, name="change"),
    path("plans/mine/cancel/", views.cancel, name="cancel"),
]
