"""An owner's own details: the credit written into the pictures they upload."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import reverse
from django.views.generic import UpdateView

from portfolio.forms import ProfileForm
from portfolio.models import Profile
from portfolio.views.editors import PrivatePageMixin


class ProfileUpdateView(PrivatePageMixin, LoginRequiredMixin, UpdateView):
    """The signed-in owner's credit defaults; the profile is made at its first save."""

    form_class = ProfileForm

    def get_object(self, queryset=None) -> Profile:
        user = self.request.user
        return Profile.objects.filter(user=user).first() or Profile(user=user)

    def form_valid(self, form) -> HttpResponse:
        messages.success(
            self.request, "Profile saved: it counts for the pictures you upload next."
        )
        return super().form_valid(form)

    def get_success_url(self) -> str:
        return reverse("portfolio:profile")
