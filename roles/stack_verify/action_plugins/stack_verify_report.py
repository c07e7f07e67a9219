# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the verification report as JSON on the controller, without running a module anywhere."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec={
            "path": {"type": "path", "required": True},
            "report": {"type": "dict", "required": True},
        })
        path = os.path.abspath(args["path"])
        try:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            fd, tmp_path = tempfile.mkstemp(prefix=".report-", dir=os.path.dirname(path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(args["report"], handle, indent=4, sort_keys=True, default=str)
                handle.write("\n")
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except OSError as exc:
            raise AnsibleActionFail(f"cannot write the report to {path}: {exc}") from exc
        # A report on the controller, not a change to the stack.
        result.update(changed=False, path=path)
        return result
