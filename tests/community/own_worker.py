"""`celery -A tests.community.own_worker:celery_app worker`: the production worker app (console.wsgi), except
that everything it enqueues (a notice's send, a retry) goes to $THANGNGOEN_TEST_QUEUE, the queue it consumes,
so a test's own worker never hands work to the session's worker. Only ever loaded by that command."""

import os

from console.wsgi import celery_app

celery_app.conf.task_default_queue = os.environ["THANGNGOEN_TEST_QUEUE"]
