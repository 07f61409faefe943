//! Properties of the journal over random operation streams. Scenario: for a
//! random seed, batch size and snapshot interval, a durable ledger applies a
//! random stream (some operations refused), then is reopened, travelled
//! back in time, checkpointed and asked for account histories. Guarded:
//! replaying the journal gives the live state hash; the ledger at record k
//! equals a fresh ledger fed the first k applied operations; provenance
//! agrees with the live statement; every inclusion proof verifies against
//! the signed checkpoint, and fails for any other record number, another
//! record's bytes, a checkpoint of another size or root, or another key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod journal_common;

use journal_common::{TempDir, fill, fresh, key, options};
use opencoin_core::{AccountId, Timestamp};
use opencoin_ledger::journal::{
    Checkpoint, DurableLedger, ProofError, verify_account_history, verify_inclusion,
};
use proptest::prelude::*;

proptest! {
    #[test]
    fn replay_and_time_travel_match_a_fresh_ledger(
        seed in any::<u64>(),
        count in 5_usize..60,
        batch_max in 1_u64..10,
        snapshot_every in 0_u64..20,
        k_seed in any::<u64>(),
    ) {
        let dir = TempDir::new("journal-prop");
        let (mut durable, _) = DurableLedger::open(dir.path(), options(snapshot_every)).unwrap();
        let (applied, _) = fill(&mut durable, seed, count, batch_max);
        let live = durable.ledger().state_hash();
        prop_assert_eq!(durable.record_count(), applied.len() as u64);
        drop(durable);

        let (durable, _) = DurableLedger::open(dir.path(), options(snapshot_every)).unwrap();
        prop_assert_eq!(durable.ledger().state_hash(), live);

        let k = (k_seed % (applied.len() as u64 + 1)) as usize;
        let past = durable.ledger_at_record(k as u64).unwrap();
        prop_assert_eq!(past.state_hash(), fresh(&applied[..k]).state_hash());

        // By time: every record at or before the k-th record's time.
        if k > 0 {
            let at = applied[k - 1].at();
            let until = applied.iter().take_while(|operation| operation.at() <= at).count();
            let by_time = durable.ledger_at_time(at).unwrap();
            prop_assert_eq!(by_time.state_hash(), fresh(&applied[..until]).state_hash());
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_fail_for_anything_else(
        seed in any::<u64>(),
        count in 5_usize..50,
        member in 0_u64..journal_common::MEMBERS_PER_CURRENCY,
        wrong in any::<u64>(),
    ) {
        let dir = TempDir::new("journal-proof");
        let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
        fill(&mut durable, seed, count, 6);
        let operator = key(77);
        let checkpoint = durable.checkpoint(&operator);
        prop_assert_eq!(checkpoint.record_count, durable.record_count());

        let account = AccountId(journal_common::VLG_MEMBERS + member);
        let history = durable.account_history(account, &checkpoint).unwrap();
        let verified = verify_account_history(&history, &operator.verifying_key()).unwrap();
        prop_assert!(!verified.is_empty(), "the account was opened in a record");
        prop_assert_eq!(verified.len(), history.records.len());

        // Provenance lists the same movements as the live statement.
        let provenance = durable.provenance(account).unwrap();
        let statement = durable.ledger().statement(account).unwrap();
        prop_assert_eq!(provenance.len(), statement.len());
        for (line, expected) in provenance.iter().zip(&statement) {
            prop_assert_eq!(&line.movement, expected);
            prop_assert!(history.records.iter().any(|record| record.number == line.record));
        }

        // Another operator key.
        prop_assert_eq!(
            verify_account_history(&history, &key(78).verifying_key()),
            Err(ProofError::InvalidCheckpointSignature)
        );

        let size = checkpoint.record_count;
        for record in &history.records {
            let hash = record_hash(record);
            let root = &checkpoint.root;
            prop_assert!(verify_inclusion(&hash, record.number, size, &record.proof, root));

            // Any other position.
            let other = wrong % size;
            if other != record.number {
                prop_assert!(!verify_inclusion(&hash, other, size, &record.proof, root));
            }
            // Another checkpoint: the journal's own tree one record
            // earlier (a proof is for one size and root; the checkpoint
            // signs both, so a proof cannot be moved to another size with
            // the same root).
            if size >= 2 {
                let earlier = durable.root_at(size - 1).unwrap();
                let proof = &record.proof;
                prop_assert!(!verify_inclusion(&hash, record.number, size - 1, proof, &earlier));
            }
            let mut root = checkpoint.root;
            root[(wrong % 32) as usize] ^= 1;
            prop_assert!(!verify_inclusion(&hash, record.number, size, &record.proof, &root));
        }

        // Another record's bytes under this record's proof, in a history
        // whose checkpoint is genuinely signed.
        if history.records.len() >= 2 {
            let mut forged = history.clone();
            forged.records[0].framed = history.records[1].framed.clone();
            forged.records[0].previous_hash = history.records[1].previous_hash;
            let refused = verify_account_history(&forged, &operator.verifying_key());
            prop_assert!(matches!(refused, Err(ProofError::NotIncluded { .. })), "{:?}", refused);
        }

        // A checkpoint signed over another root is refused by the journal.
        let foreign = Checkpoint::sign(size, [9; 32], &operator);
        prop_assert!(durable.account_history(account, &foreign).is_err());
    }
}

/// The chain hash of a proven record, recomputed as the docs define it.
fn record_hash(record: &opencoin_ledger::journal::ProvenRecord) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key("opencoin 2026-12 journal record v1");
    hasher.update(&record.previous_hash);
    hasher.update(&record.framed);
    *hasher.finalize().as_bytes()
}

#[test]
fn balances_and_trial_balances_of_the_past() {
    let dir = TempDir::new("journal-past");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(16)).unwrap();
    let (applied, _) = fill(&mut durable, 4, 200, 8);
    let middle = applied[applied.len() / 2].at();
    let until = applied.iter().take_while(|operation| operation.at() <= middle).count();
    let reference = fresh(&applied[..until]);
    let code = journal_common::code("VLG");

    let trial = durable.trial_balance_at(code, middle).unwrap();
    assert_eq!(trial, reference.trial_balance(code, middle).unwrap());
    assert!(trial.balances());
    let account = AccountId(journal_common::VLG_MEMBERS + 1);
    assert_eq!(
        durable.balance_at(account, middle).unwrap(),
        reference.balance(account, middle).unwrap()
    );
    assert_eq!(
        durable.statement_at(account, middle).unwrap(),
        reference.statement(account).unwrap()
    );

    // Before the founding, the account did not exist.
    assert!(durable.balance_at(account, Timestamp(1)).is_err());
}
