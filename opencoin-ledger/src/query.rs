//! Questions asked of a ledger: balances, supply, statements, the trial
//! balance and the state hash. Queries never change the ledger.

use opencoin_core::spec::SupplyPolicy;
use opencoin_core::{AccountId, AccountKind, Amount, CurrencyCode, Timestamp, TransactionId};
use thiserror::Error;

use crate::ledger::{Ledger, Posting, PostingKind};

/// How many bytes of account fields [`Ledger::state_hash`] gathers before
/// hashing them: enough for blake3 to hash many chunks at a time, little
/// enough to stay in cache whatever the number of accounts.
const STATE_HASH_PIECE: usize = 64 * 1024;

/// Why a query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No account has this id.
    #[error("account {0} is unknown")]
    UnknownAccount(AccountId),
    /// No currency has this code.
    #[error("currency {0} is unknown")]
    UnknownCurrency(CurrencyCode),
    /// The time asked for is before the ledger's clock; the in-memory
    /// ledger keeps only its current state. Replaying history to a past
    /// time is the journal's job.
    #[error("{at} is before the ledger's time {clock}")]
    BeforeClock {
        /// The time asked for.
        at: Timestamp,
        /// The ledger's time.
        clock: Timestamp,
    },
    /// Statements were asked for but the ledger keeps no history.
    #[error("this ledger keeps no history (LedgerConfig::keep_history is off)")]
    NoHistory,
}

/// An account's balance at a moment, with the demurrage up to then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceView {
    /// The balance at that moment.
    pub balance: Amount,
    /// What melted from the stored balance up to that moment and is not yet
    /// written (it is written the next time the account is touched).
    pub melting: Amount,
    /// For the destination of melted value: what other accounts' pending
    /// melt will bring it, already included in `balance`.
    pub melt_receivable: Amount,
}

/// A currency's supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplyView {
    /// Money ever created (issues, opening balances, basic income).
    pub issued: Amount,
    /// Money ever redeemed.
    pub redeemed: Amount,
    /// Melted value burned so far (written melts only).
    pub burned: Amount,
    /// `issued - redeemed - burned`: the sum of all stored balances.
    pub in_circulation: Amount,
    /// The current cap, if any.
    pub cap: Option<Amount>,
}

/// One line of an account statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementLine {
    /// When.
    pub at: Timestamp,
    /// The transaction, if the change came from one.
    pub transaction: Option<TransactionId>,
    /// Why the balance changed.
    pub kind: PostingKind,
    /// The account on the other side, if any.
    pub counterparty: Option<AccountId>,
    /// The signed change.
    pub change: Amount,
    /// The balance after the change.
    pub balance_after: Amount,
}

impl StatementLine {
    /// The line for one posting of an account in a currency with
    /// `decimals` decimals.
    pub(crate) fn from_posting(posting: &Posting, decimals: u8) -> StatementLine {
        let amount = |minor| Amount::saturating_from_minor_units(minor, decimals);
        StatementLine {
            at: posting.at,
            transaction: posting.transaction,
            kind: posting.kind,
            counterparty: posting.counterparty,
            change: amount(posting.change),
            balance_after: amount(posting.balance_after),
        }
    }
}

/// One line of a trial balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialBalanceLine {
    /// The account.
    pub account: AccountId,
    /// Its kind.
    pub kind: AccountKind,
    /// Its balance at the trial balance's time, demurrage included.
    pub balance: Amount,
}

/// Every account's balance at one moment, and the totals they must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    /// The currency.
    pub currency: CurrencyCode,
    /// The moment.
    pub at: Timestamp,
    /// One line per account, by account id.
    pub lines: Vec<TrialBalanceLine>,
    /// The sum of the lines.
    pub total: Amount,
    /// Melt up to `at` that will be burned when written.
    pub burn_pending: Amount,
    /// Supply in circulation as stored (before pending demurrage).
    pub in_circulation: Amount,
}

impl TrialBalance {
    /// True if the lines plus the pending burn equal the supply in
    /// circulation: the books balance.
    pub fn balances(&self) -> bool {
        self.total.checked_add(self.burn_pending).is_ok_and(|sum| sum == self.in_circulation)
    }
}

impl Ledger {
    fn decimals_of(&self, currency: u16) -> u8 {
        self.currencies[usize::from(currency)].spec.decimals
    }

    fn query_account(&self, id: AccountId) -> Result<u32, QueryError> {
        self.account_index.get(&id).copied().ok_or(QueryError::UnknownAccount(id))
    }

    fn query_currency(&self, code: CurrencyCode) -> Result<u16, QueryError> {
        self.currency_index.get(&code).copied().ok_or(QueryError::UnknownCurrency(code))
    }

    fn check_not_past(&self, at: Timestamp) -> Result<(), QueryError> {
        if at < self.clock {
            return Err(QueryError::BeforeClock { at, clock: self.clock });
        }
        Ok(())
    }

    /// The balance of an account at `at` (no earlier than the ledger's
    /// clock), with demurrage up to then.
    ///
    /// For the account that receives melted value, this includes what every
    /// other account's pending melt will bring it, so it walks all accounts
    /// of the currency; for every other account it is constant work.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or [`QueryError::BeforeClock`].
    pub fn balance(&self, id: AccountId, at: Timestamp) -> Result<BalanceView, QueryError> {
        self.check_not_past(at)?;
        let index = self.query_account(id)?;
        let currency = self.accounts[index as usize].hot.currency;
        let decimals = self.decimals_of(currency);
        let melt = self.settle(index, at);
        let receivable = if self.currencies[usize::from(currency)].melt_destination == Some(index) {
            self.pending_melt(currency, at)
        } else {
            0
        };
        let amount = |minor| Amount::saturating_from_minor_units(minor, decimals);
        Ok(BalanceView {
            balance: amount(melt.balance + receivable),
            melting: amount(melt.melted),
            melt_receivable: amount(receivable),
        })
    }

    fn pending_melt(&self, currency: u16, at: Timestamp) -> i128 {
        self.accounts_in(currency).map(|index| self.settle(index, at).melted).sum()
    }

    /// A currency's supply as stored.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownCurrency`].
    pub fn supply(&self, code: CurrencyCode) -> Result<SupplyView, QueryError> {
        let currency = self.query_currency(code)?;
        let totals = self.currencies[usize::from(currency)].totals;
        let decimals = self.decimals_of(currency);
        let amount = |minor| Amount::saturating_from_minor_units(minor, decimals);
        Ok(SupplyView {
            issued: amount(totals.issued),
            redeemed: amount(totals.redeemed),
            burned: amount(totals.burned),
            in_circulation: amount(totals.in_circulation()),
            cap: totals.cap.map(amount),
        })
    }

    /// Every change to an account's balance, oldest first, with the running
    /// balance. Walks the ledger's whole history.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownAccount`] or [`QueryError::NoHistory`].
    pub fn statement(&self, id: AccountId) -> Result<Vec<StatementLine>, QueryError> {
        let index = self.query_account(id)?;
        if !self.config.keep_history {
            return Err(QueryError::NoHistory);
        }
        let decimals = self.decimals_of(self.accounts[index as usize].hot.currency);
        Ok(self
            .history
            .iter()
            .filter(|posting| posting.account == index)
            .map(|posting| StatementLine::from_posting(posting, decimals))
            .collect())
    }

    /// Every account's balance at `at`, demurrage included, with the totals
    /// they must add up to.
    ///
    /// # Errors
    ///
    /// [`QueryError::UnknownCurrency`] or [`QueryError::BeforeClock`].
    pub fn trial_balance(
        &self,
        code: CurrencyCode,
        at: Timestamp,
    ) -> Result<TrialBalance, QueryError> {
        self.check_not_past(at)?;
        let currency = self.query_currency(code)?;
        let state = &self.currencies[usize::from(currency)];
        let decimals = state.spec.decimals;
        let amount = |minor| Amount::saturating_from_minor_units(minor, decimals);

        let mut rows: Vec<(AccountId, AccountKind, i128)> = Vec::new();
        let mut melted = 0_i128;
        for index in self.accounts_in(currency) {
            let melt = self.settle(index, at);
            melted += melt.melted;
            let attributes = &self.cold[index as usize].attributes;
            rows.push((attributes.id, attributes.kind, melt.balance));
        }
        let burn_pending = match state.melt_destination {
            Some(fund) => {
                let fund_id = self.cold[fund as usize].attributes.id;
                if let Some(row) = rows.iter_mut().find(|row| row.0 == fund_id) {
                    row.2 += melted;
                }
                0
            }
            None => melted,
        };
        rows.sort_by_key(|row| row.0);

        let total: i128 = rows.iter().map(|row| row.2).sum();
        Ok(TrialBalance {
            currency: code,
            at,
            lines: rows
                .into_iter()
                .map(|(account, kind, balance)| TrialBalanceLine {
                    account,
                    kind,
                    balance: amount(balance),
                })
                .collect(),
            total: amount(total),
            burn_pending: amount(burn_pending),
            in_circulation: amount(state.totals.in_circulation()),
        })
    }

    /// The ids of all accounts, in id order.
    pub fn account_ids(&self) -> Vec<AccountId> {
        let mut ids: Vec<AccountId> = self.account_index.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The codes of all currencies, in code order.
    pub fn currency_codes(&self) -> Vec<CurrencyCode> {
        self.currency_index.keys().copied().collect()
    }

    /// The spec a currency was created with.
    pub fn spec(&self, code: CurrencyCode) -> Option<&opencoin_core::CurrencySpec> {
        let index = self.currency_index.get(&code)?;
        Some(&self.currencies[usize::from(*index)].spec)
    }

    /// An account's attributes: its currency, kind, location and sectors.
    pub fn account_info(&self, id: AccountId) -> Option<&opencoin_core::AccountAttributes> {
        let index = self.account_index.get(&id)?;
        Some(&self.cold[*index as usize].attributes)
    }

    /// The number of transactions applied.
    pub fn applied_count(&self) -> u64 {
        self.applied_count
    }

    /// A blake3 hash of the ledger's whole state, in a canonical order: two
    /// ledgers that applied the same operations have the same hash, and any
    /// difference in a balance, sequence, total, account attribute, the last
    /// transaction of an account or the number applied changes it.
    ///
    /// Walks and sorts everything: it is meant for checks, not for every
    /// payment.
    pub fn state_hash(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_derive_key("opencoin 2026-12 ledger state v2");
        hasher.update(&self.clock.seconds().to_be_bytes());

        for (code, index) in &self.currency_index {
            let state = &self.currencies[usize::from(*index)];
            let totals = state.totals;
            hasher.update(&[code.as_bytes().len() as u8]);
            hasher.update(code.as_bytes());
            hasher.update(&totals.issued.to_be_bytes());
            hasher.update(&totals.redeemed.to_be_bytes());
            hasher.update(&totals.burned.to_be_bytes());
            hasher.update(&totals.cap.unwrap_or(-1).to_be_bytes());
            hasher.update(&totals.income_paid_through.seconds().to_be_bytes());
            let policy: u8 = match state.spec.supply {
                SupplyPolicy::Issued { .. } => 1,
                SupplyPolicy::BasicIncome { .. } => 2,
                SupplyPolicy::MutualCredit { .. } => 3,
            };
            hasher.update(&[policy, state.spec.decimals]);
        }

        // Accounts in id order. The ids come from the records, sorted with
        // their indexes, so no id is looked up again; accounts are usually
        // opened in id order, so the records are then read one after
        // another, and the sort finds the pairs already in order.
        let mut order: Vec<(AccountId, usize)> =
            self.cold.iter().enumerate().map(|(index, cold)| (cold.attributes.id, index)).collect();
        order.sort_unstable();

        // The accounts' fields are gathered into a buffer that is hashed
        // and emptied whenever it holds about 64 KiB: the same bytes as an
        // update per field, so the same hash, but blake3 hashes a long
        // input many chunks at a time. With ten thousand accounts the hash
        // took 3.7 ms with an update per field and 1.3 ms with one for all
        // (BENCHMARKS.md, change 14); a buffer of every account, though,
        // is 130 MB with a million, all of it freshly allocated at every
        // snapshot (change 22).
        // Room for a piece and the account that takes it past the mark.
        let mut fields = Vec::with_capacity(STATE_HASH_PIECE + 1024);
        for (id, index) in order {
            let hot = &self.accounts[index].hot;
            let cold = &self.cold[index];
            let signer = &self.accounts[index].signer;
            fields.extend_from_slice(&id.0.to_be_bytes());
            fields.extend_from_slice(&hot.balance.to_be_bytes());
            fields.extend_from_slice(&hot.as_of.seconds().to_be_bytes());
            fields.extend_from_slice(&hot.next_sequence.to_be_bytes());
            fields.extend_from_slice(&hot.currency.to_be_bytes());
            fields.push(cold.attributes.kind.code());
            fields.extend_from_slice(&signer.owner);
            match cold.attributes.location {
                Some(location) => {
                    fields.push(1);
                    fields.extend_from_slice(&location.latitude().to_bits().to_be_bytes());
                    fields.extend_from_slice(&location.longitude().to_bits().to_be_bytes());
                }
                None => fields.push(0),
            }
            fields.extend_from_slice(&(cold.attributes.sectors.len() as u32).to_be_bytes());
            for sector in &cold.attributes.sectors {
                fields.push(sector.as_str().len() as u8);
                fields.extend_from_slice(sector.as_str().as_bytes());
            }
            match signer.last_transaction(hot) {
                Some(id) => {
                    fields.push(1);
                    fields.extend_from_slice(id.as_bytes());
                }
                None => fields.push(0),
            }
            if fields.len() >= STATE_HASH_PIECE {
                hasher.update(&fields);
                fields.clear();
            }
        }
        hasher.update(&fields);
        hasher.update(&self.applied_count.to_be_bytes());
        *hasher.finalize().as_bytes()
    }
}
