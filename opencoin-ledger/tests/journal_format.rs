//! The journal's format and its basic promises. Scenario: a durable ledger
//! over three currencies applies a few hundred operations, some refused, in
//! batches, and is reopened. Guarded: every operation kind round-trips
//! through its canonical bytes; the decoder never panics on any bytes; the
//! file's first record is laid out and hashed exactly as the module docs
//! say (checked with blake3 directly, not with the library's code); only
//! applied operations are journalled and a refused atomic batch writes
//! nothing; reopening gives the same state hash; verification passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod journal_common;

use journal_common::{TempDir, World, fill, fresh, options, record_offsets};
use opencoin_core::spec::raw;
use opencoin_core::{AccountId, Amount, CurrencySpec, Timestamp};
use opencoin_ledger::journal::{
    ApplyError, AtomicError, DurableLedger, EncodeError, JOURNAL_FILE, JournalError,
    decode_operation, encode_operation, verify_dir,
};
use opencoin_ledger::{OpenAccount, Operation, Rejection};
use proptest::prelude::*;

#[test]
fn every_operation_kind_round_trips() {
    let mut world = World::new();
    let mut rng = journal_common::Rng(5);
    let mut operations = world.founding();
    operations.extend((0..400).map(|_| world.random(&mut rng)));
    let kinds: std::collections::BTreeSet<u8> = operations
        .iter()
        .map(|operation| match operation {
            Operation::CreateCurrency { .. } => 1,
            Operation::OpenAccount(_) => 2,
            Operation::UpdateAccount(_) => 3,
            Operation::Submit(_) => 4,
            Operation::DistributeIncome { .. } => 5,
            _ => 0,
        })
        .collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);

    for operation in &operations {
        let mut bytes = Vec::new();
        encode_operation(operation, &mut bytes).unwrap();
        assert_eq!(&bytes[..5], b"OCOP\x01");
        assert_eq!(&decode_operation(&bytes).unwrap(), operation);

        // One byte more or less is refused, never read as something else.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_operation(&longer).is_err());
        assert!(decode_operation(&bytes[..bytes.len() - 1]).is_err());
    }
}

#[test]
fn a_spec_without_source_or_edited_after_reading_is_refused_before_applying() {
    let dir = TempDir::new("journal-spec");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let mut edited = journal_common::specs().remove(0);
    edited.name = "renamed in memory".into();

    // Built in code, not read from a file: there is no text to record.
    let built = CurrencySpec::from_raw(raw::CurrencyFile {
        code: "RAW".into(),
        name: "built in code".into(),
        decimals: 1,
        supply: raw::Supply {
            policy: "mutual_credit".into(),
            credit_limit: Some("5.0".into()),
            ..raw::Supply::default()
        },
        rules: vec![],
        exempt_accounts: vec![],
        accounts: vec![],
        exchange_links: vec![],
    })
    .unwrap();
    assert!(built.source().is_none());

    let cases = [
        (edited, EncodeError::SpecEditedAfterReading(journal_common::code("VLG"))),
        (built, EncodeError::SpecWithoutSource(journal_common::code("RAW"))),
    ];
    for (spec, expected) in cases {
        let operation = Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(1) };
        let Err(ApplyError::Journal(JournalError::Unencodable { index: 0, problem })) =
            durable.apply(&operation)
        else {
            panic!("not refused as unencodable: {expected}");
        };
        assert_eq!(problem, expected);
        assert!(durable.ledger().currency_codes().is_empty(), "nothing was applied");
        assert_eq!(durable.record_count(), 0);
    }
}

#[test]
fn the_first_record_is_laid_out_and_chained_as_documented() {
    let dir = TempDir::new("journal-layout");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let spec = journal_common::specs().remove(1);
    let text = spec.source().unwrap().text.clone();
    durable.apply(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(77) }).unwrap();
    let bytes = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();

    // File header: magic, version 1, six zeros.
    assert_eq!(&bytes[..16], b"OCJOURNL\x00\x01\x00\x00\x00\x00\x00\x00");
    // Body: number 0 (8), time 77 (8), outcome 1, then OCOP 1, tag 1,
    // time (8), format 2 (JSON), text length (4), text.
    let body_len = 8 + 8 + 1 + 4 + 1 + 1 + 8 + 1 + 4 + text.len();
    assert_eq!(&bytes[16..20], &(body_len as u32).to_be_bytes());
    assert_eq!(&bytes[20..24], &(!(body_len as u32)).to_be_bytes());
    let body = &bytes[24..24 + body_len];
    assert_eq!(&body[..8], &0_u64.to_be_bytes());
    assert_eq!(&body[8..16], &77_u64.to_be_bytes());
    assert_eq!(body[16], 1);
    assert_eq!(&body[17..23], b"OCOP\x01\x01");
    assert_eq!(&body[23..31], &77_u64.to_be_bytes());
    assert_eq!(body[31], 2);
    assert_eq!(&body[32..36], &(text.len() as u32).to_be_bytes());
    assert_eq!(&body[36..], text.as_bytes());

    // Chain hash: derive-key blake3 over 32 zero bytes, frame header, body.
    let mut hasher = blake3::Hasher::new_derive_key("opencoin 2026-12 journal record v1");
    hasher.update(&[0; 32]);
    hasher.update(&bytes[16..24 + body_len]);
    assert_eq!(&bytes[24 + body_len..], hasher.finalize().as_bytes());
    assert_eq!(bytes.len(), 24 + body_len + 32);
    assert_eq!(durable.head(), *hasher.finalize().as_bytes());
}

#[test]
fn only_applied_operations_are_journalled_and_reopening_gives_the_same_state() {
    let dir = TempDir::new("journal-reopen");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(50)).unwrap();
    let (applied, _) = fill(&mut durable, 11, 300, 16);
    let live = durable.ledger().state_hash();
    assert_eq!(durable.record_count(), applied.len() as u64);
    assert!(applied.len() < 300 + 21, "some random operations were refused");
    assert_eq!(fresh(&applied).state_hash(), live);

    let report = durable.verify().unwrap();
    assert_eq!(report.records, applied.len() as u64);
    drop(durable);

    let (again, report) = DurableLedger::open(dir.path(), options(50)).unwrap();
    assert_eq!(again.ledger().state_hash(), live);
    assert_eq!(report.records, applied.len() as u64);
    assert!(report.snapshot_used.is_some(), "a snapshot shortens the replay: {report:?}");
    assert!(report.replayed < 50);

    // The same with every snapshot removed: only slower.
    std::fs::remove_dir_all(dir.path().join("snapshots")).unwrap();
    let (again, report) = DurableLedger::open(dir.path(), options(0)).unwrap();
    assert_eq!(again.ledger().state_hash(), live);
    assert_eq!(report.replayed, applied.len() as u64);
}

#[test]
fn refused_operations_and_refused_atomic_batches_write_nothing() {
    let dir = TempDir::new("journal-refused");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    fill(&mut durable, 3, 20, 4);
    let path = dir.path().join(JOURNAL_FILE);
    let before = std::fs::read(&path).unwrap();
    let hash = durable.ledger().state_hash();
    let count = durable.record_count();

    let owner = journal_common::key(50).verifying_key();
    let open = |id| {
        Operation::OpenAccount(OpenAccount {
            id: AccountId(id),
            currency: journal_common::code("VLG"),
            owner,
            kind: opencoin_core::AccountKind::Member,
            location: None,
            sectors: vec![],
            at: Timestamp(journal_common::START + 10_000_000),
        })
    };
    // The second opens an account that the first just opened: refused, so
    // the whole batch is.
    let error = durable.apply_atomic(&[open(500), open(500)]).unwrap_err();
    assert!(matches!(error, AtomicError::Refused(ref refusal) if refusal.index == 1));
    let error = durable.apply(&Operation::DistributeIncome {
        currency: journal_common::code("NOPE"),
        at: Timestamp(journal_common::START + 10_000_000),
    });
    assert!(matches!(error, Err(ApplyError::Refused(Rejection::UnknownCurrency(_)))));

    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(durable.ledger().state_hash(), hash);
    assert_eq!(durable.record_count(), count);
    assert_eq!(record_offsets(&before).len() as u64, count);

    // An applied batch appends exactly its records.
    durable.apply_atomic(&[open(501), open(502)]).unwrap();
    assert_eq!(durable.record_count(), count + 2);
    assert_eq!(verify_dir(dir.path()).unwrap().records, count + 2);
}

#[test]
fn amounts_in_warnings_survive_the_journal() {
    // Mutual credit with a soft limit of 20.0: paying 25.0 from a fresh
    // account goes to -25.0 and is applied with a warning, which the
    // journal must record and replay.
    let dir = TempDir::new("journal-warning");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let mut world = World::new();
    durable.apply_atomic(&world.founding()).unwrap();
    let payment = first_payment_from_101("25.0");
    let receipt = durable.apply(&payment).unwrap();
    let opencoin_ledger::Receipt::Applied { warning: Some(warning) } = receipt else {
        panic!("expected a warning, got {receipt:?}");
    };
    drop(durable);
    let (again, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let lines = again.provenance(AccountId(101)).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].warning.as_ref(), Some(&*warning));
    assert_eq!(lines[0].movement.change, Amount::parse("-25.0", 1).unwrap());
    assert_eq!(lines[0].movement.counterparty, Some(AccountId(102)));
}

proptest! {
    /// The decoder reads untrusted bytes: any bytes give a value or an
    /// error, never a panic; and a valid encoding with one byte changed
    /// either fails or decodes to something that encodes back to the
    /// changed bytes (there is one encoding per value).
    #[test]
    fn decoding_never_panics(
        noise in proptest::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
        position in any::<usize>(),
        byte in any::<u8>(),
    ) {
        let _ = decode_operation(&noise);
        let mut prefixed = b"OCOP\x01".to_vec();
        prefixed.extend_from_slice(&noise);
        let _ = decode_operation(&prefixed);

        let mut world = World::new();
        let mut rng = journal_common::Rng(seed);
        let operation = world.random(&mut rng);
        let mut bytes = Vec::new();
        encode_operation(&operation, &mut bytes).unwrap();
        let index = position % bytes.len();
        bytes[index] = byte;
        if let Ok(decoded) = decode_operation(&bytes) {
            let mut again = Vec::new();
            encode_operation(&decoded, &mut again).unwrap();
            prop_assert_eq!(again, bytes);
        }
    }
}

/// Subscribers of a durable ledger hear of the operations it applies, in
/// order and without gaps, and of none from a refused atomic batch. (That
/// they hear only after the records are synced, and nothing when the
/// journal fails, is the order of `DurableLedger::publish_if_durable`; a
/// failing disk cannot be simulated here.)
#[test]
fn subscribers_hear_of_journalled_operations() {
    let dir = TempDir::new("journal-events");
    let (mut durable, _) = DurableLedger::open(dir.path(), options(0)).unwrap();
    let log = durable.subscribe(Box::new(opencoin_ledger::EventLog::default()));
    let mut world = World::new();
    let founding = world.founding();
    durable.apply_atomic(&founding).unwrap();
    let after_founding = durable.ledger().subscriber::<opencoin_ledger::EventLog>(log).unwrap();
    let founding_events = after_founding.events.len();
    assert!(founding_events >= founding.len(), "one event or more per founding operation");

    // The same batch again is refused (the currency exists): nothing heard.
    assert!(durable.apply_atomic(&founding).is_err());
    let events = &durable.ledger().subscriber::<opencoin_ledger::EventLog>(log).unwrap().events;
    assert_eq!(events.len(), founding_events);

    let payment = first_payment_from_101("1.0");
    durable.apply(&payment).unwrap();
    let events = &durable.ledger().subscriber::<opencoin_ledger::EventLog>(log).unwrap().events;
    assert_eq!(events.len(), founding_events + 1, "the payment is one event");
    let heard = events.last().map(|event| &event.kind);
    let expected_amount = Amount::parse("1.0", 1).unwrap();
    assert!(
        matches!(heard, Some(opencoin_ledger::EventKind::Transferred { from, to, amount, .. })
            if *from == AccountId(101) && *to == AccountId(102) && *amount == expected_amount),
        "{heard:?}"
    );
    let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
    let expected: Vec<u64> = (0..events.len() as u64).collect();
    assert_eq!(sequences, expected, "in order, without gaps");
}

/// Account 101's first payment (sequence 0) of `amount` hours to account
/// 102, five seconds after the world's start.
fn first_payment_from_101(amount: &str) -> Operation {
    let payment = opencoin_core::Transaction {
        currency: journal_common::code("HRS"),
        source: AccountId(101),
        sequence: 0,
        timestamp: Timestamp(journal_common::START + 5),
        action: opencoin_core::Action::Transfer {
            to: AccountId(102),
            amount: Amount::parse(amount, 1).unwrap(),
        },
        memo: String::new(),
    };
    Operation::Submit(payment.sign(&journal_common::key(101)).unwrap())
}
