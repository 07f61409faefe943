//! Crashes and damage. Scenario: a durable ledger journals a few hundred
//! operations in batches; the journal file is then cut short at every byte
//! offset inside its last records and at random offsets elsewhere (a crash
//! during a write), cut in the middle of a batch that was written but never
//! synced (a killed process), or has single bits flipped. Guarded:
//! reopening after a cut yields exactly the complete records before it,
//! whose state hash equals a fresh ledger fed that prefix, so no
//! acknowledged batch is lost; every flipped bit is caught by verification,
//! which names the record it is in; opening refuses damage unless asked to
//! recover, and recovery keeps exactly the records before the damage; a
//! live ledger's verification notices a file that lost records or holds
//! another chain than the one the ledger wrote.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod journal_common;

use std::collections::HashMap;

use journal_common::{Rng, TempDir, fill, fresh, options, record_end, record_offsets};
use opencoin_ledger::Operation;
use opencoin_ledger::journal::{
    DamageKind, DurableLedger, JOURNAL_FILE, JournalError, JournalOptions, verify_dir,
};

/// Builds a journal of a few hundred records, returning the applied
/// operations, the acknowledged record counts and the file's bytes.
fn journal(dir: &TempDir, seed: u64) -> (Vec<Operation>, Vec<u64>, Vec<u8>) {
    let (mut durable, _) = DurableLedger::open(dir.path(), options(64)).unwrap();
    let (applied, acknowledged) = fill(&mut durable, seed, 560, 12);
    assert!(applied.len() > 250, "a few hundred records: {}", applied.len());
    let bytes = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();
    (applied, acknowledged, bytes)
}

/// Reopens after writing `bytes` as the journal, and checks the state is
/// exactly that of the complete records in them.
fn reopen_and_check(
    dir: &TempDir,
    bytes: &[u8],
    applied: &[Operation],
    expected_hashes: &mut HashMap<usize, [u8; 32]>,
) -> u64 {
    std::fs::write(dir.path().join(JOURNAL_FILE), bytes).unwrap();
    let complete = record_offsets(bytes).len();
    let (durable, report) = DurableLedger::open(dir.path(), options(64))
        .unwrap_or_else(|error| panic!("cut at {}: {error}", bytes.len()));
    assert_eq!(durable.record_count(), complete as u64, "cut at {}", bytes.len());
    let expected = *expected_hashes
        .entry(complete)
        .or_insert_with(|| fresh(&applied[..complete]).state_hash());
    assert_eq!(durable.ledger().state_hash(), expected, "cut at {}", bytes.len());

    // The torn bytes were cut off the file, so it verifies cleanly.
    let verified = verify_dir(dir.path()).unwrap();
    assert_eq!(verified.torn_bytes, 0);
    assert_eq!(verified.records, complete as u64);
    report.torn_bytes_truncated
}

#[test]
fn a_crash_at_any_byte_loses_only_the_record_being_written() {
    let original = TempDir::new("journal-crash-src");
    let (applied, acknowledged, bytes) = journal(&original, 21);
    let offsets = record_offsets(&bytes);
    assert_eq!(offsets.len(), applied.len());
    assert_eq!(*acknowledged.last().unwrap(), applied.len() as u64);

    let dir = TempDir::new("journal-crash");
    let snapshots = original.path().join("snapshots");
    let mut expected_hashes = HashMap::new();

    // Every byte offset inside the last three records.
    let tail_start = offsets[offsets.len() - 3];
    let mut cuts: Vec<usize> = (tail_start..=bytes.len()).collect();

    // And random offsets elsewhere, the file header included.
    let mut rng = Rng(99);
    cuts.extend((0..40).map(|_| rng.below(tail_start as u64) as usize));

    for cut in cuts {
        let _ = std::fs::remove_dir_all(dir.path());
        std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
        for entry in std::fs::read_dir(&snapshots).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join("snapshots").join(entry.file_name()))
                .unwrap();
        }
        let torn = reopen_and_check(&dir, &bytes[..cut], &applied, &mut expected_hashes);
        let complete_end =
            record_offsets(&bytes[..cut]).last().map_or(16, |&start| record_end(&bytes, start));
        if cut >= 16 {
            assert_eq!(torn, (cut - complete_end) as u64, "cut at {cut}");
        }
    }
}

#[test]
fn a_killed_process_loses_only_unacknowledged_batches() {
    // With the sync policy None the records of a batch are written before
    // the call returns; a kill before the next batch's write finishes leaves
    // any prefix of that batch's bytes. Simulate it by writing the next
    // batch fully and cutting the file between the acknowledged end and the
    // new end.
    let dir = TempDir::new("journal-kill");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let (applied_before, _) = fill(&mut durable, 8, 120, 10);
    let acknowledged_len = std::fs::metadata(dir.path().join(JOURNAL_FILE)).unwrap().len() as usize;
    let acknowledged = durable.record_count();

    let mut world = journal_common::World::new();
    world.now += 400 * 86_400;
    let mut rng = Rng(1234);
    let mut batch = Vec::new();
    for _ in 0..12 {
        // Opening accounts always applies, so the batch writes 12 records.
        batch.push(Operation::OpenAccount(opencoin_ledger::OpenAccount {
            id: opencoin_core::AccountId(5_000 + rng.below(1_000_000)),
            currency: journal_common::code("HRS"),
            owner: journal_common::key(9).verifying_key(),
            kind: opencoin_core::AccountKind::Member,
            location: None,
            sectors: vec![],
            at: opencoin_core::Timestamp(world.now),
        }));
    }
    durable.apply_atomic(&batch).unwrap();
    drop(durable);
    let bytes = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();

    let mut expected = HashMap::new();
    let mut all = applied_before.clone();
    all.extend(batch.iter().cloned());
    for cut in (acknowledged_len..=bytes.len()).step_by(7).chain([bytes.len()]) {
        // Reopening keeps exactly the complete records of the cut (checked
        // inside, with the state hash of a fresh ledger fed them); every cut
        // holds at least the acknowledged ones, so none of those is lost.
        reopen_and_check(&dir, &bytes[..cut], &all, &mut expected);
        let complete = record_offsets(&bytes[..cut]).len() as u64;
        assert!(complete >= acknowledged, "cut at {cut} lost acknowledged work");
    }
}

#[test]
fn every_flipped_bit_is_caught_and_names_its_record() {
    let original = TempDir::new("journal-flip-src");
    let (applied, _, bytes) = journal(&original, 34);
    let offsets = record_offsets(&bytes);
    let dir = TempDir::new("journal-flip");
    let mut rng = Rng(7);

    // A sample of records, the first and last included; several bits in each
    // (frame header, body and stored hash alike).
    let mut sample: Vec<usize> = (0..offsets.len()).step_by(9).collect();
    sample.push(offsets.len() - 1);
    for &record in &sample {
        let start = offsets[record];
        let end = offsets.get(record + 1).copied().unwrap_or(bytes.len());
        for _ in 0..4 {
            let position = start + rng.below((end - start) as u64) as usize;
            let mut damaged = bytes.clone();
            damaged[position] ^= 1 << rng.below(8);
            std::fs::create_dir_all(dir.path()).unwrap();
            std::fs::write(dir.path().join(JOURNAL_FILE), &damaged).unwrap();

            let error = verify_dir(dir.path()).unwrap_err();
            let JournalError::Damaged(damage) = error else { panic!("byte {position}: {error}") };
            assert_eq!(damage.record, record as u64, "byte {position}: {damage}");
            assert_eq!(damage.offset, start as u64);

            // Opening refuses with the same record...
            let Err(JournalError::Damaged(refused)) = DurableLedger::open(dir.path(), options(0))
            else {
                panic!("opening accepted a flipped bit at byte {position}");
            };
            assert_eq!(refused.record, record as u64);

            // ...unless asked to recover, which keeps the records before it.
            let recover = JournalOptions { recover_to_last_good: true, ..options(0) };
            let (durable, report) = DurableLedger::open(dir.path(), recover).unwrap();
            assert_eq!(durable.record_count(), record as u64);
            assert_eq!(
                report.recovered_from.as_ref().map(|(damage, _)| damage.record),
                Some(record as u64)
            );
            if record < 40 {
                assert_eq!(durable.ledger().state_hash(), fresh(&applied[..record]).state_hash());
            }
            drop(durable);
            std::fs::remove_dir_all(dir.path()).unwrap();
        }
    }

    // A flipped bit in the file header is reported as record 0, offset 0.
    let mut damaged = bytes.clone();
    damaged[3] ^= 4;
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join(JOURNAL_FILE), &damaged).unwrap();
    let Err(JournalError::Damaged(damage)) = verify_dir(dir.path()) else {
        panic!("header flip missed")
    };
    assert_eq!((damage.record, damage.offset), (0, 0));
}

#[test]
fn a_missing_or_damaged_snapshot_costs_only_time() {
    let dir = TempDir::new("journal-snapshots");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(40)).unwrap();
    let (applied, _) = fill(&mut durable, 55, 400, 8);
    let live = durable.ledger().state_hash();
    drop(durable);

    let snapshot_dir = dir.path().join("snapshots");
    let mut snapshots: Vec<_> =
        std::fs::read_dir(&snapshot_dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    snapshots.sort();
    assert!(snapshots.len() >= 3, "{snapshots:?}");

    // Damage the newest snapshot and delete the one before it.
    let newest = snapshots.pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&newest, bytes).unwrap();
    std::fs::remove_file(snapshots.pop().unwrap()).unwrap();

    let (again, report) = DurableLedger::open(dir.path(), options(40)).unwrap();
    assert_eq!(again.ledger().state_hash(), live);
    assert_eq!(report.snapshots_ignored.len(), 1, "{report:?}");
    assert!(report.snapshot_used.is_some());
    assert_eq!(again.record_count(), applied.len() as u64);
}

#[test]
fn a_snapshot_that_cannot_be_written_is_reported_and_costs_only_time() {
    // A file where the snapshot directory goes: every snapshot fails, on
    // the thread that writes it, while the journal goes on.
    let dir = TempDir::new("journal-snapshots-blocked");
    std::fs::write(dir.path().join("snapshots"), b"not a directory").unwrap();
    let (mut durable, _) = DurableLedger::open(dir.path(), options(40)).unwrap();
    let (applied, _) = fill(&mut durable, 56, 400, 8);
    assert!(
        matches!(durable.last_snapshot_error(), Some(JournalError::Io { .. })),
        "{:?}",
        durable.last_snapshot_error()
    );
    let live = durable.ledger().state_hash();
    drop(durable);

    let (again, report) = DurableLedger::open(dir.path(), options(0)).unwrap();
    assert!(report.snapshot_used.is_none(), "{report:?}");
    assert_eq!(again.ledger().state_hash(), live);
    assert_eq!(again.record_count(), applied.len() as u64);
}

#[test]
fn verifying_a_live_ledger_reports_records_gone_from_disk() {
    // Cut the file of an open ledger back by its last record, as another
    // process or a failing disk might: the file still verifies on its own,
    // but it no longer holds everything this ledger applied.
    let dir = TempDir::new("journal-missing");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    fill(&mut durable, 3, 40, 5);
    let path = dir.path().join(JOURNAL_FILE);
    let bytes = std::fs::read(&path).unwrap();
    let offsets = record_offsets(&bytes);
    let last = *offsets.last().unwrap();
    std::fs::write(&path, &bytes[..last]).unwrap();

    let applied = durable.record_count();
    let kept = offsets.len() as u64 - 1;
    match durable.verify() {
        Err(JournalError::Damaged(damage)) => {
            assert_eq!(damage.record, kept);
            assert_eq!(damage.offset, last as u64);
            assert_eq!(damage.kind, DamageKind::MissingRecords { expected: applied, found: kept });
        }
        other => panic!("expected missing records, got {other:?}"),
    }
}

#[test]
fn verifying_a_live_ledger_reports_a_chain_it_did_not_write() {
    // Replace the file of an open ledger by another journal, which verifies
    // on its own and shares the founding records: the ledger's verification
    // names the first record that is not the one it wrote.
    let dir = TempDir::new("journal-foreign");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    fill(&mut durable, 3, 40, 5);
    let other = TempDir::new("journal-foreign-src");
    let (mut foreign, _) = DurableLedger::open(other.path(), options(0)).unwrap();
    fill(&mut foreign, 4, 40, 5);
    drop(foreign);
    let path = dir.path().join(JOURNAL_FILE);
    let mine = std::fs::read(&path).unwrap();
    let theirs = std::fs::read(other.path().join(JOURNAL_FILE)).unwrap();
    std::fs::write(&path, &theirs).unwrap();
    assert!(verify_dir(dir.path()).is_ok(), "the foreign file is a good journal");

    // The first record whose bytes differ, read with the documented framing.
    let record = |bytes: &[u8], offset| bytes[offset..record_end(bytes, offset)].to_vec();
    let (mine_at, theirs_at) = (record_offsets(&mine), record_offsets(&theirs));
    let first = mine_at
        .iter()
        .zip(&theirs_at)
        .position(|(&at_mine, &at_theirs)| record(&mine, at_mine) != record(&theirs, at_theirs))
        .unwrap();
    assert!(first >= 21, "three currencies and eighteen accounts are shared: {first}");

    match durable.verify() {
        Err(JournalError::Damaged(damage)) => {
            assert_eq!(damage.record, first as u64);
            assert_eq!(damage.offset, theirs_at[first] as u64);
            assert_eq!(damage.kind, DamageKind::HashMismatch);
        }
        other => panic!("expected another chain, got {other:?}"),
    }
}
