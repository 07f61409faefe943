//! Going back in time over the journal: the ledger as of a past record or
//! moment, an account's provenance, and an account's history with proofs
//! that an account holder can check alone.

use opencoin_core::ed25519_dalek::VerifyingKey;
use opencoin_core::{AccountId, CurrencyCode, Timestamp};
use opencoin_rules::Warning;
use thiserror::Error;

use super::codec::CodecError;
use super::durable::{DurableLedger, base_state, replay};
use super::error::JournalError;
use super::file::{HASH_BYTES, chain_hash, decode_framed, framed_bytes, record_hasher};
use super::merkle::{Checkpoint, TreeHash, audit_path, root_of_leaves, verify_inclusion};
use crate::ledger::{Ledger, LedgerConfig, Receipt};
use crate::operation::Operation;
use crate::query::{BalanceView, QueryError, StatementLine, TrialBalance};

/// Why a question about the past could not be answered.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The journal could not be read or replayed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The ledger of that moment could not answer.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// One movement of an account's balance, with where it came from in the
/// journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenanceLine {
    /// The number of the record whose operation moved the balance.
    pub record: u64,
    /// The movement, as the account's statement shows it.
    pub movement: StatementLine,
    /// The rules' warning on the operation, if it passed a soft limit.
    pub warning: Option<Warning>,
}

/// A record of the journal with the proof that it is in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenRecord {
    /// The record's number: its leaf index in the tree.
    pub number: u64,
    /// The chain hash of the record before it.
    pub previous_hash: [u8; HASH_BYTES],
    /// The record's frame header and body, exactly as in the journal.
    pub framed: Vec<u8>,
    /// The audit path from the record's leaf to the checkpoint's root.
    pub proof: Vec<TreeHash>,
}

/// Every record that touched an account, each with an inclusion proof
/// against one signed checkpoint.
///
/// The proofs show that each record given is in the operator's signed
/// history. They cannot show that no record was left out.
/// TODO(completeness): a per-account hash chain inside the records (each
/// record naming the previous record that touched the same account) would
/// let the holder check that the list is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountHistory {
    /// The account.
    pub account: AccountId,
    /// The checkpoint the proofs are against.
    pub checkpoint: Checkpoint,
    /// The records, oldest first.
    pub records: Vec<ProvenRecord>,
}

/// A record whose inclusion in a signed checkpoint was verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRecord {
    /// Its number.
    pub number: u64,
    /// The outcome recorded.
    pub receipt: Receipt,
    /// The operation.
    pub operation: Operation,
}

/// Why an account history did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The checkpoint is not signed by the operator's key.
    #[error("the checkpoint signature does not verify")]
    InvalidCheckpointSignature,
    /// A record is not in the checkpoint's tree at its number.
    #[error("record {number} is not included in the checkpoint of {record_count} records")]
    NotIncluded {
        /// The record's number.
        number: u64,
        /// The checkpoint's size.
        record_count: u64,
    },
    /// A record's bytes cannot be read.
    #[error("record {number} cannot be read: {problem}")]
    Undecodable {
        /// The record's number.
        number: u64,
        /// Why.
        problem: CodecError,
    },
    /// A record's bytes carry another number than the one it is given as.
    #[error("record given as number {given} says it is number {inside}")]
    NumberMismatch {
        /// The number it is given as.
        given: u64,
        /// The number inside its bytes.
        inside: u64,
    },
}

/// Checks an account history with only the operator's public key: the
/// checkpoint's signature, then each record's inclusion in the checkpoint's
/// tree at its number, then that it decodes. Trusts nothing else the
/// operator sent.
///
/// # Errors
///
/// The first [`ProofError`] found.
pub fn verify_account_history(
    history: &AccountHistory,
    operator: &VerifyingKey,
) -> Result<Vec<VerifiedRecord>, ProofError> {
    let checkpoint = &history.checkpoint;
    checkpoint.verify(operator).map_err(|_| ProofError::InvalidCheckpointSignature)?;

    let mut hasher = record_hasher();
    let mut verified = Vec::with_capacity(history.records.len());
    for record in &history.records {
        let hash = chain_hash(&mut hasher, &record.previous_hash, &record.framed);
        let included = verify_inclusion(
            &hash,
            record.number,
            checkpoint.record_count,
            &record.proof,
            &checkpoint.root,
        );
        if !included {
            return Err(ProofError::NotIncluded {
                number: record.number,
                record_count: checkpoint.record_count,
            });
        }
        let (inside, receipt, operation) = decode_framed(&record.framed)
            .map_err(|problem| ProofError::Undecodable { number: record.number, problem })?;
        if inside != record.number {
            return Err(ProofError::NumberMismatch { given: record.number, inside });
        }
        verified.push(VerifiedRecord { number: record.number, receipt, operation });
    }
    Ok(verified)
}

impl DurableLedger {
    /// The ledger as it was after the first `count` records, rebuilt from
    /// the nearest snapshot at or before them.
    ///
    /// # Errors
    ///
    /// [`JournalError::RecordOutOfRange`] if `count` is beyond the journal,
    /// or an error reading or replaying it.
    pub fn ledger_at_record(&self, count: u64) -> Result<Ledger, JournalError> {
        let total = self.record_count();
        if count > total {
            return Err(JournalError::RecordOutOfRange { record: count, count: total });
        }
        let config = self.options().ledger;
        let (mut ledger, start, _) = base_state(self.dir(), self.records(), count, config);
        let bytes = self.journal_bytes()?;
        replay(&mut ledger, &bytes, self.records(), start, count, |_, _, _| {})?;
        Ok(ledger)
    }

    /// The number of records whose time is at or before `at`.
    pub fn records_until(&self, at: Timestamp) -> u64 {
        // Record times never decrease, which the scan checks.
        self.records().partition_point(|meta| meta.at <= at) as u64
    }

    /// The ledger as it was at `at`: after every record of that time or
    /// earlier.
    ///
    /// # Errors
    ///
    /// As for [`DurableLedger::ledger_at_record`].
    pub fn ledger_at_time(&self, at: Timestamp) -> Result<Ledger, JournalError> {
        self.ledger_at_record(self.records_until(at))
    }

    /// An account's balance at a past moment, with demurrage up to then.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Journal`] if the journal cannot be replayed;
    /// [`HistoryError::Query`] if the account did not exist then.
    pub fn balance_at(&self, id: AccountId, at: Timestamp) -> Result<BalanceView, HistoryError> {
        Ok(self.ledger_at_time(at)?.balance(id, at)?)
    }

    /// An account's statement up to a past moment.
    ///
    /// # Errors
    ///
    /// As for [`DurableLedger::balance_at`]; [`QueryError::NoHistory`] if
    /// the ledger keeps no history.
    pub fn statement_at(
        &self,
        id: AccountId,
        at: Timestamp,
    ) -> Result<Vec<StatementLine>, HistoryError> {
        Ok(self.ledger_at_time(at)?.statement(id)?)
    }

    /// A currency's trial balance at a past moment.
    ///
    /// # Errors
    ///
    /// As for [`DurableLedger::balance_at`], for the currency.
    pub fn trial_balance_at(
        &self,
        code: CurrencyCode,
        at: Timestamp,
    ) -> Result<TrialBalance, HistoryError> {
        Ok(self.ledger_at_time(at)?.trial_balance(code, at)?)
    }

    /// Every movement in and out of an account, oldest first, with the
    /// record it came from, its counterparty and the rules' warning. Replays
    /// the whole journal.
    ///
    /// # Errors
    ///
    /// [`JournalError::UnknownAccount`] if no record opened the account, or
    /// an error reading or replaying the journal.
    pub fn provenance(&self, id: AccountId) -> Result<Vec<ProvenanceLine>, JournalError> {
        Ok(self.trace(id, self.record_count())?.0)
    }

    /// Every record up to `checkpoint` that touched the account (opened or
    /// changed it, or moved its balance), each with its inclusion proof.
    ///
    /// # Errors
    ///
    /// [`JournalError::CheckpointMismatch`] if the checkpoint is not one of
    /// this journal's; [`JournalError::UnknownAccount`]; or an error reading
    /// or replaying the journal.
    pub fn account_history(
        &self,
        id: AccountId,
        checkpoint: &Checkpoint,
    ) -> Result<AccountHistory, JournalError> {
        let size = checkpoint.record_count;
        let mismatch = || JournalError::CheckpointMismatch { record_count: size };
        let leaves = self.leaves(size).map_err(|_| mismatch())?;
        if root_of_leaves(&leaves) != checkpoint.root {
            return Err(mismatch());
        }

        let (_, touched) = self.trace(id, size)?;
        let bytes = self.journal_bytes()?;
        let records = self.records();
        let mut proven = Vec::with_capacity(touched.len());
        for number in touched {
            let index = number as usize;
            let previous_hash = match index.checked_sub(1) {
                Some(before) => records.get(before).map_or(super::GENESIS_HASH, |meta| meta.hash),
                None => super::GENESIS_HASH,
            };
            let framed = records
                .get(index)
                .map(|meta| framed_bytes(&bytes, meta).to_vec())
                .unwrap_or_default();
            proven.push(ProvenRecord {
                number,
                previous_hash,
                framed,
                proof: audit_path(&leaves, index),
            });
        }
        Ok(AccountHistory { account: id, checkpoint: checkpoint.clone(), records: proven })
    }

    /// Replays the first `count` records from the start, keeping history,
    /// and collects the account's movements and the records that touched it.
    fn trace(
        &self,
        id: AccountId,
        count: u64,
    ) -> Result<(Vec<ProvenanceLine>, Vec<u64>), JournalError> {
        let config = LedgerConfig { keep_history: true, ..self.options().ledger };
        let mut ledger = Ledger::new(config);
        let bytes = self.journal_bytes()?;
        let mut lines = Vec::new();
        let mut touched = Vec::new();
        let mut seen_postings = 0;
        replay(
            &mut ledger,
            &bytes,
            self.records(),
            0,
            count,
            |number, ledger, (receipt, operation)| {
                let warning = match receipt {
                    Receipt::Applied { warning } => warning.as_deref().cloned(),
                    Receipt::AlreadyApplied(_) => None,
                };
                let mut touches = names_account(operation, id);
                let decimals = |index: u32| {
                    let currency = ledger
                        .accounts
                        .get(index as usize)
                        .map_or(0, |record| usize::from(record.hot.currency));
                    ledger.currencies.get(currency).map_or(0, |state| state.spec.decimals)
                };
                for posting in ledger.history.get(seen_postings..).unwrap_or_default() {
                    let owner =
                        ledger.cold.get(posting.account as usize).map(|cold| cold.attributes.id);
                    if owner != Some(id) {
                        continue;
                    }
                    touches = true;
                    lines.push(ProvenanceLine {
                        record: number,
                        movement: StatementLine::from_posting(posting, decimals(posting.account)),
                        warning: warning.clone(),
                    });
                }
                seen_postings = ledger.history.len();
                if touches {
                    touched.push(number);
                }
            },
        )?;
        if ledger.account_info(id).is_none() {
            return Err(JournalError::UnknownAccount(id));
        }
        Ok((lines, touched))
    }
}

/// Whether an operation names the account (opens, changes or declares it,
/// or is a transaction from or to it).
fn names_account(operation: &Operation, id: AccountId) -> bool {
    match operation {
        Operation::CreateCurrency { spec, .. } => {
            spec.accounts.iter().any(|account| account.id == id)
        }
        Operation::OpenAccount(open) => open.id == id,
        Operation::UpdateAccount(update) => update.id == id,
        Operation::Submit(signed) => {
            let transaction = signed.transaction();
            transaction.source == id || transaction.action.counterparty() == Some(id)
        }
        Operation::DistributeIncome { .. } => false,
    }
}
