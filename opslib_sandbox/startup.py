"""What the sandbox process does before it imports moto, so `opslib sandbox up` takes seconds, not
tens of them (each measured with benchmarks/sandbox_up_and_reset.py):

- one machine image (amis.json), not moto's hundreds in every region: an EC2 backend is then cheap
  to make and to keep in the pristine copy `reset` restores;
- no IRI grammar: moto's API Gateway imports jsonschema, which builds one (1-4 s of CPU);
- one botocore session answers every "which regions has this service" moto asks: it asks from a new
  session each time, and each loads the service's whole model (EC2's: 0.15 s) and the endpoint list
  again.
"""

import os
from pathlib import Path

from opslib import keep_out_iri_grammar


def prepare() -> None:
    os.environ.setdefault("MOTO_AMIS_PATH", str(Path(__file__).with_name("amis.json")))
    keep_out_iri_grammar()
    _one_session_for_region_lists()


def _one_session_for_region_lists() -> None:
    import botocore.session

    shared = botocore.session.Session()
    original = botocore.session.Session.get_available_regions

    def get_available_regions(self, service_name, partition_name="aws", allow_non_regional=False):
        return original(shared, service_name, partition_name, allow_non_regional)

    botocore.session.Session.get_available_regions = get_available_regions
