//! Criterion micro benchmarks of the hot pieces of one payment, to show
//! where the time of `benches/throughput.rs` goes: rule evaluation,
//! demurrage, applying a batch, encoding and signing, verifying (one at a
//! time under the ledger's ZIP 215 rules and with `verify_strict`, and in
//! batches: the ledger's, and ed25519-dalek's, the harness's limit), and
//! the state hash that every snapshot computes on the calling thread.
//!
//! Run with `cargo bench --bench hot_paths`. Appending to the journal is
//! measured in `benches/journal.rs`.

// Set-up that fails must stop a benchmark, so it may expect.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use opencoin::core::ed25519_dalek::{self, Signature, SigningKey, VerifyingKey};
use opencoin::core::spec::{DemurrageSpec, MeltDestination, MeltRounding};
use opencoin::core::tx::SIGNATURE_DOMAIN;
use opencoin::core::{AccountAttributes, Period};
use opencoin::prelude::*;
use opencoin::rules::{Demurrage, Movement, Party, RuleSet};

/// A currency with every rule family the ledger checks per payment.
const SPEC: &str = include_str!("currencies/every-rule.toml");

fn spec() -> CurrencySpec {
    CurrencySpec::from_toml_str(SPEC).expect("the benchmark currency loads")
}

fn member(id: u64, code: CurrencyCode) -> AccountAttributes {
    AccountAttributes {
        id: AccountId(id),
        currency: code,
        kind: AccountKind::Member,
        location: Some(Location::new(46.52, 6.63).expect("valid location")),
        sectors: vec![SectorCode::new("5411").expect("valid sector")],
    }
}

fn rule_evaluation(c: &mut Criterion) {
    let spec = spec();
    let rules = RuleSet::compile(&spec).expect("the rules compile");
    let (payer, payee) = (member(1, spec.code), member(2, spec.code));
    let (payer_profile, payee_profile) = (rules.profile(&payer), rules.profile(&payee));
    c.bench_function("rules/check_allowed_transfer", |b| {
        b.iter(|| {
            let movement = Movement::Transfer {
                payer: Party { attributes: &payer, profile: &payer_profile, balance_after: 9_000 },
                payee: Party { attributes: &payee, profile: &payee_profile, balance_after: 11_000 },
                amount: black_box(1_000),
            };
            rules.check(black_box(&movement)).is_ok()
        })
    });
    c.bench_function("rules/profile_on_open", |b| b.iter(|| rules.profile(black_box(&payer))));
}

fn demurrage(c: &mut Criterion) {
    let spec = DemurrageSpec {
        rate: "0.02".parse().expect("rate"),
        period: Period::parse("90d").expect("period"),
        step: Period::parse("1d").expect("step"),
        free_allowance: Amount::from_minor_units(5_000, 2).expect("allowance"),
        rounding: MeltRounding::Down,
        destination: MeltDestination::Burn,
    };
    let demurrage = Demurrage::compile("rules[0]", &spec).expect("demurrage compiles");
    let mut group = c.benchmark_group("demurrage");
    // A touch a few days after the last one: the common case, factor cached.
    group.bench_function("melt_3_steps", |b| {
        b.iter(|| demurrage.melt_steps(black_box(123_456), black_box(3)))
    });
    // An account idle for eight years: past the cache, product of powers.
    group.bench_function("melt_3000_steps", |b| {
        b.iter(|| demurrage.melt_steps(black_box(123_456), black_box(3_000)))
    });
    group.bench_function("no_step_elapsed", |b| {
        b.iter(|| demurrage.melt_steps(black_box(123_456), black_box(0)))
    });
    // 10^27 minor units, a tenth of the largest amount: the excess needs
    // both 64-bit halves, and a Decimal product of it needed rescaling.
    group.bench_function("melt_3_steps_large_balance", |b| {
        b.iter(|| demurrage.melt_steps(black_box(10_i128.pow(27) + 123_456), black_box(3)))
    });

    // The slow case of a cached factor: 2% per whole-period step, 4 steps,
    // keeps exactly 0.98^4 = 0.92236816, so an excess of 10^8 minor units
    // over the allowance of 5,000 keeps the whole number 92,236,816, and
    // rounding it down is decided by exact division, not by the
    // fixed-point product.
    let whole_period = DemurrageSpec { step: Period::parse("90d").expect("step"), ..spec };
    let whole_period = Demurrage::compile("rules[0]", &whole_period).expect("demurrage compiles");
    group.bench_function("melt_4_steps_exact_integer", |b| {
        b.iter(|| whole_period.melt_steps(black_box(100_005_000), black_box(4)))
    });
    group.finish();
}

fn transfer(from: u64, to: u64, sequence: u64, at: u64) -> Transaction {
    Transaction {
        currency: CurrencyCode::new("BENCH").expect("code"),
        source: AccountId(from),
        sequence,
        timestamp: Timestamp(at),
        action: Action::Transfer {
            to: AccountId(to),
            amount: Amount::from_minor_units(1_250, 2).expect("amount"),
        },
        memo: String::new(),
    }
}

fn signing(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let unsigned = transfer(1, 2, 0, 86_400);
    let signed = unsigned.clone().sign(&key).expect("signs");
    let mut group = c.benchmark_group("signatures");
    group.bench_function("encode", |b| b.iter(|| black_box(&unsigned).encode().is_ok()));
    group.bench_function("encode_and_sign", |b| {
        b.iter_batched(|| unsigned.clone(), |tx| tx.sign(&key), BatchSize::SmallInput)
    });
    // One at a time under the ledger's rules (ZIP 215), and the cofactorless
    // strict check they replaced, for comparison.
    group.bench_function("verify_one", |b| b.iter(|| black_box(&signed).verify().is_ok()));
    let mut message = SIGNATURE_DOMAIN.to_vec();
    message.extend_from_slice(unsigned.encode().expect("encodes").as_slice());
    group.bench_function("verify_strict", |b| {
        b.iter(|| signed.signer().verify_strict(black_box(&message), signed.signature()).is_ok())
    });

    // The batch verification the throughput harness uses as its limit
    // (ed25519-dalek's), and the ledger's own batch (ZIP 215, one key here),
    // per signature, in batches of 64.
    const BATCH: usize = 64;
    let signed: Vec<SignedTransaction> =
        (0..BATCH as u64).map(|i| transfer(1, 2, i, 86_400).sign(&key).expect("signs")).collect();
    let messages: Vec<Vec<u8>> = signed
        .iter()
        .map(|s| {
            let mut message = SIGNATURE_DOMAIN.to_vec();
            message.extend_from_slice(s.transaction().encode().expect("encodes").as_slice());
            message
        })
        .collect();
    let message_slices: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let signatures: Vec<Signature> = signed.iter().map(|s| *s.signature()).collect();
    let keys: Vec<VerifyingKey> = signed.iter().map(|s| *s.signer()).collect();
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("verify_batch_of_64", |b| {
        b.iter(|| ed25519_dalek::verify_batch(&message_slices, &signatures, &keys).is_ok())
    });
    group.bench_function("ledger_batch_of_64", |b| {
        b.iter(|| opencoin::core::signature::verify_batch(black_box(&signed)).is_ok())
    });
    group.finish();
}

/// A ledger of `accounts` members with 1,000.00 each, and its currency code.
fn funded_ledger(accounts: u64) -> (Ledger, SigningKey) {
    let key = SigningKey::from_bytes(&[9; 32]);
    let mut ledger = Ledger::new(LedgerConfig { verify_signatures: false, keep_history: false });
    let spec = spec();
    let code = spec.code;
    ledger
        .apply(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) })
        .expect("currency created");
    for id in 1..=accounts {
        let attributes = member(id, code);
        ledger
            .apply(&Operation::OpenAccount(OpenAccount {
                id: attributes.id,
                currency: code,
                owner: key.verifying_key(),
                kind: AccountKind::Member,
                location: attributes.location,
                sectors: attributes.sectors,
                at: Timestamp(0),
            }))
            .expect("account opened");
    }
    (ledger, key)
}

fn apply(c: &mut Criterion) {
    const ACCOUNTS: u64 = 1_000;
    const BATCH: u64 = 1_024;
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(BATCH));
    // Mutual credit: transfers need no opening balance; every rule and
    // demurrage (a day passes between rounds) is checked on each.
    group.bench_function("apply_each_1024_transfers", |b| {
        b.iter_custom(|iterations| {
            let (mut ledger, key) = funded_ledger(ACCOUNTS);
            let mut sequences = vec![0_u64; ACCOUNTS as usize + 1];
            let mut total = Duration::ZERO;
            for round in 0..iterations {
                let batch: Vec<Operation> = (0..BATCH)
                    .map(|i| {
                        let from = 1 + (round * 7 + i) % ACCOUNTS;
                        let to = 1 + (from + 1 + i % 13) % ACCOUNTS;
                        let sequence = sequences[from as usize];
                        sequences[from as usize] += 1;
                        let at = 86_400 * (1 + round);
                        let signed = transfer(from, to, sequence, at).sign(&key);
                        Operation::Submit(signed.expect("signs"))
                    })
                    .collect();
                let started = Instant::now();
                let results = ledger.apply_each(black_box(&batch));
                total += started.elapsed();
                assert!(results.iter().all(Result::is_ok), "a benchmark transfer was refused");
            }
            total
        })
    });
    group.finish();
}

/// The state hash of a ledger of 100,000 accounts, which a durable ledger
/// computes, with the state's encoding, on the calling thread at every
/// snapshot.
fn state_hash(c: &mut Criterion) {
    const ACCOUNTS: u64 = 100_000;
    let (ledger, _) = funded_ledger(ACCOUNTS);
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(ACCOUNTS));
    group.bench_function("state_hash_100000_accounts", |b| b.iter(|| ledger.state_hash()));
    group.finish();
}

criterion_group!(benches, rule_evaluation, demurrage, signing, apply, state_hash);
criterion_main!(benches);
