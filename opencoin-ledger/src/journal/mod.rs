//! The journal: a durable, tamper-evident history of every applied
//! operation, that can be replayed to any point in the past.
//!
//! A [`DurableLedger`] wraps a [`Ledger`](crate::Ledger). Each call to
//! [`DurableLedger::apply`], [`DurableLedger::apply_each`] or
//! [`DurableLedger::apply_atomic`] applies its operations in memory, appends
//! one record per *applied* operation to the journal file, and returns only
//! once those records are durable (one write and one `fdatasync` per call:
//! group commit). Refused operations change nothing and are not recorded;
//! neither are transactions answered with `AlreadyApplied`. An atomic batch
//! that is refused writes nothing.
//!
//! [`DurableLedger::submit_each_into`] applies a batch the same way but
//! returns as soon as it is applied in memory, with a [`BatchTicket`]: the
//! ledger's threads write and sync its records while the caller applies
//! the next batch, and [`DurableLedger::wait_durable`] returns once they
//! are durable. Nothing of a batch may be acknowledged before that.
//!
//! [`DurableLedger::open`] reads the journal back, cuts off a torn last
//! record, refuses any other damage (unless asked to recover to the last
//! good record), loads the newest snapshot that matches the chain and
//! replays the records after it, checking that each gives the outcome it
//! records.
//!
//! ```
//! use opencoin_ledger::journal::{DurableLedger, JournalOptions, SyncPolicy};
//!
//! let dir = std::env::temp_dir().join(format!("opencoin-doc-{}", std::process::id()));
//! let options = JournalOptions { sync: SyncPolicy::None, ..JournalOptions::default() };
//! let (ledger, report) = DurableLedger::open(&dir, options.clone())?;
//! assert_eq!(report.records, 0);
//! let hash = ledger.ledger().state_hash();
//! drop(ledger);
//! let (again, _) = DurableLedger::open(&dir, options)?;
//! assert_eq!(again.ledger().state_hash(), hash);
//! assert!(again.verify().is_ok());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Sync policy
//!
//! - [`SyncPolicy::EveryBatch`] (the default): a call returns after its
//!   records are written and `File::sync_data` (fdatasync) has returned. A
//!   power cut or crash loses no call that has returned.
//! - [`SyncPolicy::None`]: records are written to the operating system but
//!   never synced. A crash of the process loses nothing (the kernel still
//!   has the bytes), but a power cut or kernel crash can lose any number of
//!   acknowledged calls at the end of the journal. For tests and
//!   simulations only.
//!
//! Under either policy, a call interrupted by a crash may have written some
//! of its records: they go to the file together, in one `write_all`, which
//! a crash can cut anywhere. Opening keeps every whole record, which are
//! the call's first ones in order, and cuts off a record left torn, so the
//! reopened ledger may hold operations whose call never returned. A client
//! that got no answer finds out by resubmitting: a transaction that was
//! kept is answered [`Receipt::AlreadyApplied`](crate::Receipt) if it is
//! still its account's latest, and refused with a sequence mismatch (its
//! number is used) if not.
//!
//! # Directory
//!
//! - `journal.ocj`: the journal, one file (see below).
//! - `snapshots/snapshot-<count>.ocs`: snapshots (see [`snapshot`]), every
//!   [`JournalOptions::snapshot_every`] records, or every as many records
//!   as there are accounts if that is more. All are kept, since time
//!   travel replays from the nearest one.
//!
//! One file rather than segments: one `fdatasync` per batch covers every
//! record, appending never needs a directory sync, and there is no segment
//! boundary to get wrong. The journal is kept whole anyway (it is the audit
//! trail), so segments would not save space.
//! TODO(segments): a journal beyond a few gigabytes is read whole into
//! memory when opened; segments of a fixed size, each starting with the
//! previous segment's last chain hash, would let opening read only the
//! segments after the newest snapshot.
//!
//! TODO(locking): two processes opening the same directory would both
//! append; a lock file taken in `open` would refuse the second.
//!
//! # Journal file, version 1
//!
//! Integers are big-endian. The file starts with a 16-byte header:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `OCJOURNL` |
//! | 2 | format version, `1` |
//! | 6 | zero |
//!
//! and continues with records, back to back, numbered from 0:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | n: body length (16 to [`RECORD_BODY_BYTES_MAX`]) |
//! | 4 | bitwise complement of n, so that a damaged length is not taken for a torn tail |
//! | 8 | body: record number |
//! | 8 | body: time, the seconds the operation carries (the ledger reads no clock) |
//! | 1.. | body: outcome, below |
//! | rest of n | body: the operation's canonical bytes, below |
//! | 32 | chain hash |
//!
//! The chain hash of record i is blake3 in key-derivation mode with context
//! [`RECORD_HASH_CONTEXT`] over the chain hash of record i - 1 (32 zero
//! bytes for record 0) followed by the record's 8 header bytes and n body
//! bytes. Record times never decrease.
//!
//! Outcome: `1` (applied), or `2` (applied with a warning) followed by the
//! warning: `1` (credit limit exceeded), account id (8), balance after and
//! floor (each 1 byte of decimals and 16 bytes of minor units, `i128`).
//!
//! Operation: magic `OCOP`, version `1`, a tag, and the tag's fields:
//!
//! | tag | operation | fields |
//! |---|---|---|
//! | 1 | create currency | time (8); format (1: TOML, 2: JSON); text length (4) and the currency file's text, exactly as read |
//! | 2 | open account | id (8); currency (1-byte length, ASCII); owner key (32); kind code (1); location; sectors; time (8) |
//! | 3 | update account | id (8); location; sectors; time (8) |
//! | 4 | submit | the signed transaction's wire form to the end (see `opencoin_core::tx`) |
//! | 5 | distribute income | currency (1-byte length, ASCII); time (8) |
//!
//! A location is `0`, or `1` followed by latitude and longitude as the
//! 8-byte IEEE 754 bit patterns. Sectors are a count (1 byte, at most 16)
//! and each code as a 1-byte length and ASCII. Kind codes: 1 member, 2
//! merchant, 3 fund, 4 reserve, 5 issuer.
//!
//! # Reading it back
//!
//! A record is good if its two length fields agree, its hash is right, its
//! number is its position and its time is not before the previous one.
//! After the last good record:
//!
//! - nothing, or fewer bytes than the record they begin announces, or only
//!   zero bytes: a *torn tail*, a write that did not finish. It was never
//!   acknowledged, and [`DurableLedger::open`] truncates it.
//! - anything else is *damage*: [`DurableLedger::open`] refuses with the
//!   record number and byte offset ([`Damage`]) unless
//!   [`JournalOptions::recover_to_last_good`] is set, in which case the
//!   journal is truncated after the last good record (losing what follows,
//!   which may include acknowledged records: the choice is the operator's).
//!
//! # Proofs
//!
//! [`DurableLedger::checkpoint`] signs the Merkle root over the records'
//! chain hashes (see [`merkle`]); [`DurableLedger::account_history`] gives
//! every record that touched an account with an inclusion proof against a
//! checkpoint, and [`verify_account_history`] checks it with only the
//! operator's public key.

mod codec;
mod durable;
mod error;
mod file;
mod history;
pub mod merkle;
pub mod snapshot;

use std::fs::File;
use std::path::Path;

pub use codec::{
    CodecError, EncodeError, OPERATION_MAGIC, OPERATION_VERSION, decode_operation, encode_operation,
};
pub use durable::{
    BatchTicket, DurableLedger, JournalOptions, OpenReport, SyncPolicy, VerifyReport,
    frame_records, verify_dir,
};
pub use error::{ApplyError, AtomicError, Damage, DamageKind, JournalError};
pub use file::{
    FILE_HEADER_BYTES, FILE_MAGIC, FILE_VERSION, GENESIS_HASH, RECORD_BODY_BYTES_MAX,
    RECORD_HASH_CONTEXT,
};
pub use history::{
    AccountHistory, HistoryError, ProofError, ProvenRecord, ProvenanceLine, VerifiedRecord,
    verify_account_history,
};
pub use merkle::{Checkpoint, verify_inclusion};

/// The journal file's name inside a journal directory.
pub const JOURNAL_FILE: &str = "journal.ocj";

/// Syncs a directory, so that a file created or renamed in it survives a
/// power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    let handle = File::open(dir).map_err(JournalError::io("open", dir))?;
    handle.sync_all().map_err(JournalError::io("sync", dir))
}
