"""moto_server, with the Application Load Balancer attributes AWS always returns.

AWS's DescribeLoadBalancerAttributes lists idle_timeout.timeout_seconds (60 by
default) and access_logs.s3.enabled ("false") for every ALB; moto 5.2 leaves
both out of a new load balancer ("for TF compatibility", moto/elbv2/models.py),
and amazon.aws.elb_application_lb reads them. The rest is moto's own server.
"""

from __future__ import annotations

import sys

from moto.elbv2 import models
from moto.server import main

_moto_init = models.FakeLoadBalancer.__init__


def _init_with_aws_defaults(self, *args, **kwargs):
    _moto_init(self, *args, **kwargs)
    if self.type == "application":
        self.attrs.setdefault("idle_timeout.timeout_seconds", "60")
        self.attrs.setdefault("access_logs.s3.enabled", "false")


models.FakeLoadBalancer.__init__ = _init_with_aws_defaults

if __name__ == "__main__":
    sys.exit(main())
