"""Digest emails after a run: one per reader per run, never twice, none when nothing is new,
none for readers who opted out, retried (not lost) when the mail server fails, and written
in each reader's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db.models import Count

from buyers.models import Buyer
from matching import services, tasks
from matching.models import DigestSent, Dismissal, MatchRun, Suggestion
from tests.matching.conftest import celery_settings, full_run
from tests.matching.flaky_email import FlakyBackend

pytestmark = pytest.mark.django_db


def _readers_with_new_suggestions() -> set[str]:
    emails = set()
    for suggestion in Suggestion.objects.select_related("buyer", "producer"):
        emails |= {u.email for u in suggestion.buyer.members.all()}
        emails |= {u.email for u in suggestion.producer.members.all()}
    return emails


def _started(capture) -> MatchRun:
    with capture(execute=True):
        run = services.match_run_start(chunks=2)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE, run.error
    return run


def test_each_reader_gets_one_digest_per_run_and_none_when_nothing_is_new(
    world, django_capture_on_commit_callbacks
):
    run = _started(django_capture_on_commit_callbacks)

    recipients = [m.to[0] for m in mail.outbox]
    assert sorted(recipients) == sorted(_readers_with_new_suggestions())
    assert len(recipients) == len(set(recipients))
    assert DigestSent.objects.filter(run=run).count() == len(recipients)
    run.refresh_from_db()
    assert run.emails_sent == len(recipients)
    assert not Suggestion.objects.filter(buyer_notified_at__isnull=True).exists()
    assert not Suggestion.objects.filter(producer_notified_at__isnull=True).exists()
    message = mail.outbox[0]
    assert message.alternatives[0][1] == "text/html"
    assert "/account/" in message.body  # the opt-out link

    # The digest step again for the same run (a retry, or someone re-running it): nothing.
    tasks.send_digests.delay(run.pk)
    for plan in services.digests_plan(run_id=run.pk):
        tasks.send_digest.delay(run.pk, plan.user_id, plan.buyer_ids, plan.producer_ids)
    assert len(mail.outbox) == len(recipients)

    # A new run finds the same suggestions: nothing new, nothing sent.
    _started(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == len(recipients)


def test_readers_who_opted_out_get_nothing_and_dismissed_pairs_are_not_listed(
    world, django_capture_on_commit_callbacks
):
    full_run()  # suggestions exist, nobody told yet (no digests on this run)
    busiest = (
        Suggestion.objects.values_list("buyer_id", flat=True).annotate(n=Count("pk")).order_by("-n")
    )
    buyer_a, buyer_b = [Buyer.objects.get(pk=pk) for pk in list(busiest)[:2]]
    opted_out = buyer_a.members.get()
    opted_out.digest_opt_out = True
    opted_out.save()
    other = buyer_b.members.get()
    dismissed = Suggestion.objects.filter(buyer=buyer_b).order_by("-score").first()
    Dismissal.objects.create(
        side="buyer", need=dismissed.need, product=dismissed.product, user=other
    )
    run = services.match_run_create(chunks=1)
    # Leaves the turned-down pair out of the need's top k, and vouches for all the rest.
    services.match_run_execute(run_id=run.pk)
    tasks.send_digests.delay(run.pk)

    recipients = {m.to[0] for m in mail.outbox}
    assert opted_out.email not in recipients
    assert other.email in recipients
    sent = DigestSent.objects.get(user=other, run=run)
    assert dismissed.pk not in sent.suggestion_ids
    assert dismissed.product.display_name not in next(
        m.body for m in mail.outbox if m.to == [other.email]
    )


def test_a_failing_mail_server_is_retried_and_the_digest_is_sent_once(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.matching.flaky_email.FlakyBackend"
    FlakyBackend.failures_left, FlakyBackend.attempts = 1, 0
    full_run()
    run = services.match_run_create(chunks=1)
    services.match_run_execute(run_id=run.pk)
    plan = services.digests_plan(run_id=run.pk)[0]

    # As on a worker: the failed try is retried (eagerly here) instead of raised to the caller.
    with celery_settings(task_eager_propagates=False):
        tasks.send_digest.delay(run.pk, plan.user_id, plan.buyer_ids, plan.producer_ids)

    assert FlakyBackend.attempts == 2
    assert len(mail.outbox) == 1
    assert DigestSent.objects.filter(run=run, user_id=plan.user_id).count() == 1
    # Running it again (a duplicate delivery of the task) sends no second copy.
    tasks.send_digest.delay(run.pk, plan.user_id, plan.buyer_ids, plan.producer_ids)
    assert len(mail.outbox) == 1 and FlakyBackend.attempts == 2


def test_a_send_that_fails_rolls_back_so_nothing_is_marked_sent(world, settings):
    settings.EMAIL_BACKEND = "tests.matching.flaky_email.FlakyBackend"
    FlakyBackend.failures_left, FlakyBackend.attempts = 5, 0
    full_run()
    run = services.match_run_create(chunks=1)
    services.match_run_execute(run_id=run.pk)
    plan = services.digests_plan(run_id=run.pk)[0]

    with pytest.raises(OSError):
        services.digest_send(
            run_id=run.pk,
            user_id=plan.user_id,
            buyer_ids=plan.buyer_ids,
            producer_ids=plan.producer_ids,
        )

    assert not DigestSent.objects.exists()
    ids = plan.buyer_ids + plan.producer_ids
    assert not Suggestion.objects.filter(pk__in=ids, buyer_notified_at__isnull=False).exists()
    assert not Suggestion.objects.filter(pk__in=ids, producer_notified_at__isnull=False).exists()


def test_the_digest_is_written_in_the_readers_language(world, django_capture_on_commit_callbacks):
    reader = world.buyers[0].members.get()
    reader.language = "vi"
    reader.save()
    _started(django_capture_on_commit_callbacks)

    message = next(m for m in mail.outbox if m.to == [reader.email])
    html = message.alternatives[0][0]
    assert 'lang="vi"' in html
    # Names come in Vietnamese: categories of the buyer's needs and provinces in the reasons.
    vietnamese = {"nước mắm", "tiêu", "trà", "Gia vị", "Đồ uống"}
    assert any(name in message.body for name in vietnamese)


@pytest.mark.slow
def test_digests_go_through_a_real_smtp_server(
    world, smtp_server, django_capture_on_commit_callbacks
):
    run = _started(django_capture_on_commit_callbacks)

    assert len(smtp_server.messages) == DigestSent.objects.filter(run=run).count() > 0
    message = smtp_server.messages[0]
    assert message.get_body(preferencelist=("html",)) is not None
    assert "new suggestion" in message["Subject"]
