# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: writes each task's wall time (seconds) to $VNET_BENCH_TIMES as JSON."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: task_timer
type: aggregate
short_description: Record task wall times for the vnet.linux benchmarks
description:
  - Writes a JSON object {task name - [seconds, ...]} (one entry per run of a task of that name) to the file named
    by the environment variable VNET_BENCH_TIMES.
requirements:
  - enabled in callbacks_enabled
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.times = {}
        self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.close_task()
        self.current = (task.get_name(), time.monotonic())

    def close_task(self):
        if self.current is not None:
            name, started = self.current
            self.times.setdefault(name, []).append(time.monotonic() - started)
            self.current = None

    def v2_playbook_on_stats(self, stats):
        self.close_task()
        with open(os.environ["VNET_BENCH_TIMES"], "w") as handle:
            json.dump(self.times, handle, indent=1)
