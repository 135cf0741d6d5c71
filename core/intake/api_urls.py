from django.urls import path

from . import api

urlpatterns = [
    path("mentors/<int:pk>/questions/", api.MentorQuestionsView.as_view(), name="api-mentor-questions"),
    path("schedule/questions/", api.MyQuestionsView.as_view(), name="api-my-questions"),
    path("schedule/approval/", api.MyApprovalView.as_view(), name="api-my-approval"),
    path("booking-requests/", api.BookingRequestListView.as_view(), name="api-booking-requests"),
    path("bookings/<int:pk>/request/", api.BookingRequestView.as_view(), name="api-booking-request"),
    path("bookings/<int:pk>/approve/", api.BookingApproveView.as_view(), name="api-booking-approve"),
    path("bookings/<int:pk>/decline/", api.BookingDeclineView.as_view(), name="api-booking-decline"),
    path("bookings/<int:pk>/propose/", api.BookingProposeView.as_view(), name="api-booking-propose"),
    path("proposals/<int:pk>/accept/", api.ProposalAcceptView.as_view(), name="api-proposal-accept"),
]
