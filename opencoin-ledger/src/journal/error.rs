//! What can go wrong with a journal, with the record and byte offset at
//! fault wherever there is one.

use std::path::PathBuf;

use opencoin_core::Timestamp;
use thiserror::Error;

use super::codec::{CodecError, EncodeError};
use crate::ledger::BatchRejection;
use crate::rejection::Rejection;

/// A record (or the file header) that is not what was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("record {record} at byte offset {offset}: {kind}")]
pub struct Damage {
    /// The record's number, from zero (0 for the file header).
    pub record: u64,
    /// The byte offset of the record's frame header in the journal file.
    pub offset: u64,
    /// What is wrong with it.
    pub kind: DamageKind,
}

/// What is wrong with a damaged record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DamageKind {
    /// The file does not start with the journal header (magic `OCJOURNL`,
    /// version, six zero bytes).
    #[error("the file header is not an opencoin journal header")]
    FileHeaderMismatch,
    /// The file is a journal of another format version.
    #[error("journal format version {0} is not supported (this library reads version 1)")]
    UnsupportedVersion(u16),
    /// The body length and its complement disagree.
    #[error("frame length {length} and its check {check:#010x} disagree")]
    FrameHeaderMismatch {
        /// The length field.
        length: u32,
        /// The check field, which should be the length's complement.
        check: u32,
    },
    /// A body length outside the possible range: shorter than the record
    /// number and time, or longer than [`RECORD_BODY_BYTES_MAX`].
    ///
    /// [`RECORD_BODY_BYTES_MAX`]: super::RECORD_BODY_BYTES_MAX
    #[error("body length {0} is outside 16..={max}", max = super::RECORD_BODY_BYTES_MAX)]
    BodyLengthOutOfRange(u64),
    /// The stored hash is not the hash of the previous record's hash and
    /// this record's bytes.
    #[error("the chain hash does not match the record's bytes")]
    HashMismatch,
    /// The file holds fewer records than the ledger has applied: records
    /// acknowledged in this process are gone from the disk.
    #[error("the file holds {found} records, {expected} were applied")]
    MissingRecords {
        /// How many records the ledger applied and journalled.
        expected: u64,
        /// How many the file holds.
        found: u64,
    },
    /// The record carries another number than its position.
    #[error("the record says it is number {found}")]
    NumberMismatch {
        /// The number in the record.
        found: u64,
    },
    /// The record's time is earlier than the previous record's.
    #[error("time {at} is before the previous record's {previous}")]
    TimeWentBackwards {
        /// The record's time.
        at: Timestamp,
        /// The previous record's time.
        previous: Timestamp,
    },
    /// The hash is right but the payload cannot be read.
    #[error("the payload cannot be read: {0}")]
    Undecodable(CodecError),
}

/// Why a journal operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading, writing, syncing or renaming a file failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The journal is damaged somewhere other than a torn last record.
    /// Opening with `JournalOptions::recover_to_last_good` truncates the
    /// journal before the damage instead.
    #[error("the journal is damaged: {0}")]
    Damaged(Damage),
    /// Replaying a record did not give the outcome it records: the journal
    /// was written by a ledger that behaves differently (another version or
    /// configuration).
    #[error("replaying record {record} gave {replayed}, but the journal records {recorded}")]
    ReplayDiverged {
        /// The record's number.
        record: u64,
        /// What the journal says happened.
        recorded: String,
        /// What happened on replay.
        replayed: String,
    },
    /// An operation cannot be encoded. Nearly always found before anything
    /// is applied, and then nothing of the call was; found only when its
    /// record is framed (a warning kind without an encoding), the call was
    /// applied in memory and the ledger is poisoned, as after a failed
    /// write.
    #[error("operation {index} of the call cannot be journalled: {problem}")]
    Unencodable {
        /// The operation's position in the call.
        index: usize,
        /// Why.
        problem: EncodeError,
    },
    /// An earlier write or sync failed after the ledger had applied its
    /// batch in memory, so memory and disk may disagree. Reopen the
    /// directory: it recovers exactly what is durable.
    #[error("an earlier write failed; reopen the journal to continue")]
    Poisoned,
    /// A record number beyond the journal.
    #[error("record {record} is beyond the journal's {count} records")]
    RecordOutOfRange {
        /// The number asked for.
        record: u64,
        /// How many records there are.
        count: u64,
    },
    /// A checkpoint that this journal did not produce: its size is beyond
    /// the journal or its root differs from the journal's tree of that size.
    #[error("the checkpoint of {record_count} records does not match this journal")]
    CheckpointMismatch {
        /// The checkpoint's record count.
        record_count: u64,
    },
    /// No account has this id in the journal's history.
    #[error("account {0} is unknown")]
    UnknownAccount(opencoin_core::AccountId),
}

impl JournalError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> JournalError {
        let path = path.into();
        move |source| JournalError::Io { action, path, source }
    }
}

/// Why a durable `apply` did not apply.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The ledger refused the operation; nothing changed and nothing was
    /// written.
    #[error(transparent)]
    Refused(Rejection),
    /// The journal failed; see [`JournalError`] for the state left behind.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Why a durable `apply_atomic` did not apply.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AtomicError {
    /// The ledger refused the batch; nothing changed and nothing was
    /// written.
    #[error(transparent)]
    Refused(BatchRejection),
    /// The journal failed; see [`JournalError`] for the state left behind.
    #[error(transparent)]
    Journal(#[from] JournalError),
}
