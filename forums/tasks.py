"""Celery tasks for forums. Thin: each calls one service.

`meeting_requests_expire` runs hourly from the beat schedule (CELERY_BEAT_SCHEDULE in
settings). It is idempotent: a retry, or two workers at once, expire and email each request
once.
"""

from celery import shared_task
from django.db import OperationalError

from forums.services import meeting_requests_expire as expire


@shared_task(
    name="forums.tasks.meeting_requests_expire",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def meeting_requests_expire() -> int:
    """Mark pending meeting requests past their expiry as expired; returns how many."""
    return expire()


# --- Forum scheduling (appended for the forum pages; see forums/scheduling.py) -------------


@shared_task(name="forums.tasks.forum_schedule")
def forum_schedule(run_id: int) -> str:
    """Run the scheduler for a queued ScheduleRun and write its draft; returns its status.
    Not retried: a run that fails says why, and the organiser starts another."""
    from forums.scheduling import schedule_run_execute

    return schedule_run_execute(run_id=run_id).status


@shared_task(
    name="forums.tasks.forum_agendas_email",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def forum_agendas_email(
    forum_id: int, producer_ids: list[int], buyer_ids: list[int], event: str
) -> int:
    """Email the participants their (new) agenda with an .ics attachment."""
    from forums.emails import forum_agendas_email_send

    return forum_agendas_email_send(
        forum_id=forum_id, producer_ids=producer_ids, buyer_ids=buyer_ids, event=event
    )
