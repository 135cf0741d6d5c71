from django.urls import path

from . import api

urlpatterns = [
    path("plans/", api.PlanListView.as_view(), name="api-plans"),
    path("subscriptions/", api.SubscribeView.as_view(), name="api-subscribe"),
    path("subscriptions/mine/", api.MySubscriptionView.as_view(), name="api-my-subscriptions"),
    path("subscriptions/mine/confirm/", api.ConfirmView.as_view(), name="api-subscription-confirm"),
    path("subscriptions/mine/change/", api.ChangeView.as_view(), name="api-subscription-change"),
    path("subscriptions/mine/cancel/", api.CancelView.as_view(), name="api-subscription-cancel"),
]
