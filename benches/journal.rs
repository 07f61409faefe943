//! Durable batched appends to the journal, against plain appends of the
//! same bytes, side by side on the same disk.
//!
//! Each iteration commits one batch of signed transfers as a group: the
//! journal path encodes each operation canonically, frames it, chains its
//! blake3 hash, writes the batch and calls `fdatasync`; the baseline writes
//! the very same bytes (prepared once) and calls `fdatasync`. The ratio of
//! the two throughputs is the journal's overhead. Target: the journal
//! reaches at least 40% of the baseline.
//!
//! Run with `cargo bench --bench journal`. The files go to
//! `target/journal-bench/` (or `$OPENCOIN_BENCH_DIR`), so that they are on
//! the disk the build is on rather than a memory file system, where
//! `fdatasync` costs nothing.

// A benchmark whose fixture cannot be built has nothing to measure: it stops
// with the reason.
#![allow(clippy::panic)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use opencoin::core::ed25519_dalek::SigningKey;
use opencoin::core::{AccountId, Action, Amount, CurrencyCode, Timestamp, Transaction};
use opencoin::ledger::Operation;
use opencoin::ledger::journal::{GENESIS_HASH, frame_records};

/// Files are cut back to empty past this size, outside the timed part.
const FILE_BYTES_MAX: u64 = 64 << 20;

fn bench_dir() -> PathBuf {
    let dir = std::env::var_os("OPENCOIN_BENCH_DIR")
        .map_or_else(|| PathBuf::from("target/journal-bench"), PathBuf::from);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn open_empty(path: &PathBuf) -> File {
    let file = OpenOptions::new().create(true).write(true).truncate(true).open(path);
    file.unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()))
}

/// A batch of signed transfers, as the ledger would have applied them.
fn transfers(count: usize) -> Vec<Operation> {
    let key = SigningKey::from_bytes(&[3; 32]);
    let currency = CurrencyCode::new("VLG").unwrap_or_else(|error| panic!("{error}"));
    (0..count)
        .map(|index| {
            let transaction = Transaction {
                currency,
                source: AccountId(10),
                sequence: index as u64,
                timestamp: Timestamp(1_800_000_000 + index as u64),
                action: Action::Transfer {
                    to: AccountId(11 + (index as u64 % 50)),
                    amount: Amount::from_minor_units(100 + index as i128, 2)
                        .unwrap_or_else(|error| panic!("{error}")),
                },
                memo: "bread".into(),
            };
            Operation::Submit(transaction.sign(&key).unwrap_or_else(|error| panic!("{error}")))
        })
        .collect()
}

/// Runs `iterations` commits with `commit`, timing only the commits.
fn timed(path: &PathBuf, iterations: u64, mut commit: impl FnMut(&mut File, u64)) -> Duration {
    let mut file = open_empty(path);
    let mut total = Duration::ZERO;
    for iteration in 0..iterations {
        if file.metadata().map_or(0, |meta| meta.len()) > FILE_BYTES_MAX {
            file = open_empty(path);
        }
        let start = Instant::now();
        commit(&mut file, iteration);
        total += start.elapsed();
    }
    total
}

fn group_commit(c: &mut Criterion) {
    let dir = bench_dir();
    let mut group = c.benchmark_group("durable_append");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for batch_size in [64_usize, 1024] {
        let operations = transfers(batch_size);
        let mut prepared = Vec::new();
        let framed =
            frame_records(GENESIS_HASH, 0, operations.iter().map(|op| (op, None)), &mut prepared);
        framed.unwrap_or_else(|error| panic!("{error}"));
        group.throughput(Throughput::Elements(batch_size as u64));

        let plain_path = dir.join("plain.bin");
        group.bench_function(BenchmarkId::new("plain_write_fdatasync", batch_size), |b| {
            b.iter_custom(|iterations| {
                timed(&plain_path, iterations, |file, _| {
                    file.write_all(&prepared).unwrap_or_else(|error| panic!("{error}"));
                    file.sync_data().unwrap_or_else(|error| panic!("{error}"));
                })
            });
        });

        let journal_path = dir.join("journal.ocj");
        let mut buffer = Vec::with_capacity(prepared.len());
        let mut head = GENESIS_HASH;
        group.bench_function(
            BenchmarkId::new("journal_encode_hash_write_fdatasync", batch_size),
            |b| {
                b.iter_custom(|iterations| {
                    timed(&journal_path, iterations, |file, iteration| {
                        buffer.clear();
                        let first = iteration * batch_size as u64;
                        let records = operations.iter().map(|op| (op, None));
                        head = frame_records(head, first, records, &mut buffer)
                            .unwrap_or_else(|error| panic!("{error}"));
                        file.write_all(&buffer).unwrap_or_else(|error| panic!("{error}"));
                        file.sync_data().unwrap_or_else(|error| panic!("{error}"));
                    })
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, group_commit);
criterion_main!(benches);
