"""A preset's summary states the conditions its verdict needs.

`kafkacheck list` and the README show the summary as the preset's answer.  Two read as
guarantees they are not: the idempotent producer's failover holds only because its batches
are retried twice in total (Kafka retries until delivery.timeout.ms, and one more retry
duplicates a batch), and the controller's disk loss holds only because the model keeps the
KRaft metadata log, which by default lives on the first log.dirs disk.
"""

from __future__ import annotations

from kafkacheck.model import presets
from kafkacheck.model.registry import model_class
from kafkacheck.testing import check

FAILOVER = presets.PRESETS["producer-idempotent-failover"]
BUMP = presets.PRESETS["producer-idempotent-epoch-bump"]
DISK = presets.PRESETS["controller-disk-loss-failover"]


def test_the_idempotent_failover_names_its_retry_budget_and_the_epoch_bump_preset():
    assert FAILOVER.summary == (
        "idempotent producer through a leader failover with lost responses, two retries "
        "in total over both batches (retry_budget=2): no duplicates, order kept (within the "
        "bounds). Kafka retries until delivery.timeout.ms (retries=2147483647): one more "
        "retry duplicates and reorders a batch, see producer-idempotent-epoch-bump")
    assert f"retry_budget={FAILOVER.bounds['retry_budget']}" in FAILOVER.summary
    assert f"retry_budget={BUMP.bounds['retry_budget']}" in BUMP.summary
    assert BUMP.name in presets.PRESETS
    # the two presets differ in the retry budget alone, one retry apart
    assert dict(BUMP.settings) == dict(FAILOVER.settings)
    assert {k: v for k, v in BUMP.bounds.items() if k != "retry_budget"} == {
        k: v for k, v in FAILOVER.bounds.items() if k != "retry_budget"}
    assert BUMP.bounds["retry_budget"] == FAILOVER.bounds["retry_budget"] + 1


def test_the_epoch_bump_summary_states_what_the_check_finds():
    # 68k states: the duplicate and the reordering the summary names
    assert "a duplicate and a reordering" in BUMP.summary
    result = check(model=BUMP.name, properties=["NoDuplicates", "PartitionOrder"])
    assert result.result == "violated"
    assert {v.name for v in result.violations} == {"NoDuplicates", "PartitionOrder"}


def test_a_controller_disk_loss_names_the_metadata_log_dir_the_model_keeps():
    assert "loss of the metadata log" in model_class(DISK.model).faults_not_modelled
    assert DISK.bounds["disk_losses"] == 1
    assert DISK.summary == (
        "replication + KRaft controller, 3 combined nodes, AlterPartition in flight: one "
        "node loses the disk of its log.dirs and restarts with a new broker epoch; when it "
        "is the active controller's node, another controller takes over (every "
        "guarantee it selects holds). Only with metadata.log.dir on a separate disk that "
        "survives: the model keeps the KRaft metadata log, which by default "
        "(metadata.log.dir unset) lives in the first log.dirs directory and is lost with it")


def test_every_disk_loss_preset_of_a_model_keeping_the_metadata_log_says_so():
    for preset in presets.PRESETS.values():
        if not preset.bounds.get("disk_losses"):
            continue
        if "loss of the metadata log" in model_class(preset.model).faults_not_modelled:
            assert "metadata.log.dir on a separate disk that survives" in preset.summary, \
                preset.name
