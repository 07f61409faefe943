//! Submitted transactions: issue, transfer, redeem and raising the cap.
//!
//! [`Ledger::plan`] runs every check in the documented order and reads
//! only; [`Ledger::commit`] writes the plan and cannot fail. That split is
//! what makes a refused transaction change nothing.

use opencoin_core::spec::SupplyPolicy;
use opencoin_core::{
    AccountId, AccountKind, Action, Amount, AmountError, MINOR_UNITS_MAX, SignedTransaction,
    Timestamp, Transaction, TransactionId,
};
use opencoin_rules::{Melt, Movement, Party, Verdict, Warning};

use super::{
    AccountLookup, CurrencyState, Ledger, Posting, PostingKind, Receipt, Totals, Undo, add_balance,
    add_issued, add_total, subtract_from_balance,
};
use crate::event::EventKind;
use crate::rejection::Rejection;

/// What a checked transaction will write.
struct Plan {
    id: TransactionId,
    at: Timestamp,
    currency: u16,
    source: u32,
    payer: Option<(u32, i128)>,
    payee: Option<(u32, i128)>,
    melts: [Option<(u32, Melt)>; 2],
    fund: Option<(u32, i128)>,
    totals: Totals,
    warning: Option<Warning>,
    amount: i128,
    action: Action,
}

impl Plan {
    /// Every account the plan writes, each once: payer, payee, the
    /// destination of melted value and the source (whose sequence moves).
    fn touched_accounts(&self) -> [Option<u32>; 4] {
        let mut touched = [
            self.payer.map(|(index, _)| index),
            self.payee.map(|(index, _)| index),
            self.fund.map(|(index, _)| index),
            Some(self.source),
        ];
        for later in 1..touched.len() {
            if touched[..later].contains(&touched[later]) {
                touched[later] = None;
            }
        }
        touched
    }
}

impl Ledger {
    /// The sum of the stored balances of the given accounts.
    fn balance_sum(&self, accounts: &[Option<u32>]) -> i128 {
        accounts.iter().flatten().map(|&index| self.accounts[index as usize].hot.balance).sum()
    }

    /// Applies a signed transaction, or answers that it already was.
    ///
    /// Sequence numbers alone make replay impossible: an applied transaction
    /// used up its source's sequence number, which never comes back. What
    /// the ledger adds is an answer for a client that retries after losing
    /// the reply: each account keeps the id of its latest transaction, and
    /// re-submitting that transaction answers `AlreadyApplied` and changes
    /// nothing. An older transaction re-submitted is refused with
    /// `SequenceMismatch` (`got` below `expected`), which tells the client
    /// that the number is used; the account's statement or the journal's
    /// provenance tell by which transaction.
    ///
    /// The ledger keeps one id per account rather than the set of every id
    /// ever applied. That set grew by 32 bytes with every transfer for
    /// ever, went into every snapshot, and inserting into it (a random write
    /// into a table of tens of megabytes) took about 40% of an in-memory
    /// transfer (BENCHMARKS.md).
    ///
    /// `lookup` holds the account indexes found while warming, if any.
    pub(super) fn submit(
        &mut self,
        signed: &SignedTransaction,
        signature_ok: bool,
        lookup: AccountLookup,
    ) -> Result<Receipt, Rejection> {
        let tx = signed.transaction();
        let source = self.looked_up(lookup.source, tx.source);
        if let Ok(index) = source
            && tx.sequence < self.accounts[index as usize].hot.next_sequence
            && self.accounts[index as usize].signer.last_transaction == signed.id()
        {
            return Ok(Receipt::AlreadyApplied(signed.id()));
        }
        let plan = self.plan(signed, source, lookup.counterparty, signature_ok)?;
        let warning = self.commit(&plan);
        Ok(Receipt::Applied { warning })
    }

    /// Runs every check of a transaction, in the documented order, and works
    /// out what it would write. Reads only. `source` is the lookup of the
    /// transaction's source account, done once by the caller, and
    /// `counterparty` the index of the account it names, if warming found
    /// it.
    ///
    /// Longer than a function should be. Splitting out the parties, the
    /// amount and the balance step (returning a struct of balances) was
    /// tried and measured: the default throughput run fell from about 26%
    /// to 22% of the bare loop, and to 23% with the pieces forced inline,
    /// from the larger values passed between them. A split that keeps the
    /// plan's fields flat might not cost that; it has not been tried.
    fn plan(
        &self,
        signed: &SignedTransaction,
        source: Result<u32, Rejection>,
        counterparty: Option<u32>,
        signature_ok: bool,
    ) -> Result<Plan, Rejection> {
        let tx = signed.transaction();
        let at = tx.timestamp;
        self.check_time(at)?;
        let currency = self.currency(tx.currency)?;
        let state = &self.currencies[usize::from(currency)];
        let source = source?;
        self.check_holds(source, currency, tx)?;

        if !signature_ok {
            return Err(Rejection::InvalidSignature);
        }
        if signed.signer().as_bytes() != &self.accounts[source as usize].signer.owner {
            return Err(Rejection::SignerNotOwner { account: tx.source });
        }
        let expected = self.accounts[source as usize].hot.next_sequence;
        if tx.sequence != expected {
            return Err(Rejection::SequenceMismatch {
                account: tx.source,
                expected,
                got: tx.sequence,
            });
        }

        let amount = tx.action.amount();
        if amount.decimals() != state.spec.decimals {
            return Err(Rejection::BadAmount(AmountError::DecimalsMismatch {
                left: amount.decimals(),
                right: state.spec.decimals,
            }));
        }
        amount.require_positive().map_err(Rejection::BadAmount)?;
        let amount = amount.minor_units();
        self.check_policy(state, source, tx)?;

        // Who pays and who is paid.
        let counterparty = match tx.action.counterparty() {
            Some(id) => {
                let index = self.looked_up(counterparty, id)?;
                self.check_holds(index, currency, tx)?;
                if index == source {
                    return Err(Rejection::AccountsMustDiffer(id));
                }
                Some(index)
            }
            None => None,
        };
        let (payer, payee) = match tx.action {
            Action::Issue { .. } => (None, counterparty),
            Action::Transfer { .. } => (Some(source), counterparty),
            Action::Redeem { .. } => (Some(source), None),
            _ => (None, None),
        };

        let mut totals = state.totals;
        if let Action::RaiseSupplyCap { .. } = tx.action {
            let current = totals.cap.unwrap_or(0);
            if amount <= current {
                let decimals = state.spec.decimals;
                return Err(Rejection::CapMustRise {
                    current: Amount::saturating_from_minor_units(current, decimals),
                    new_cap: Amount::saturating_from_minor_units(amount, decimals),
                });
            }
            totals.cap = Some(amount);
        }

        // Demurrage up to now for both sides, and its destination.
        let melts =
            [payer.map(|i| (i, self.settle(i, at))), payee.map(|i| (i, self.settle(i, at)))];
        let fund = self.fund_credit(currency, &melts, &mut totals)?;
        let settled = |index: u32, melt: Melt| -> Result<i128, Rejection> {
            match fund {
                Some((fund_index, credit)) if fund_index == index => {
                    add_balance(melt.balance, credit)
                }
                _ => Ok(melt.balance),
            }
        };

        if let Some((fund_index, credit)) = fund {
            let involved = [payer, payee].contains(&Some(fund_index));
            if !involved {
                add_balance(self.accounts[fund_index as usize].hot.balance, credit)?;
            }
        }

        let payer_after = match melts[0] {
            Some((index, melt)) => {
                let balance = settled(index, melt)?;
                let after = subtract_from_balance(balance, amount)?;
                if state.payer_must_afford && after < 0 {
                    let decimals = state.spec.decimals;
                    return Err(Rejection::InsufficientFunds {
                        account: tx.source,
                        balance: Amount::saturating_from_minor_units(balance, decimals),
                        needed: Amount::saturating_from_minor_units(amount, decimals),
                    });
                }
                Some((index, after))
            }
            None => None,
        };
        let payee_after = match melts[1] {
            Some((index, melt)) => Some((index, add_balance(settled(index, melt)?, amount)?)),
            None => None,
        };
        match tx.action {
            // The lifetime issued total is held to the range of one amount,
            // so that every total the ledger reports is a valid amount (and
            // so are redeemed, burned and in circulation, which never exceed
            // it). 10^28 - 1 minor units is beyond any real currency.
            Action::Issue { .. } => totals.issued = add_issued(totals.issued, amount)?,
            Action::Redeem { .. } => {
                totals.redeemed = add_total(totals.redeemed, amount, "redeemed total")?
            }
            _ => {}
        }

        let warning =
            self.check_rules(state, payer_after, payee_after, amount, &totals, &tx.action)?;
        // A soft credit floor bounds nothing, so the payer's balance must be
        // kept within the amount range here (a payer at -(10^28 - 1) paying
        // one more unit went out of range). Checked after the rules so that a
        // hard floor still answers with its own reason.
        if payer_after.is_some_and(|(_, after)| after < -MINOR_UNITS_MAX) {
            return Err(Rejection::Overflow { what: "balance" });
        }
        Ok(Plan {
            id: signed.id(),
            at,
            currency,
            source,
            payer: payer_after,
            payee: payee_after,
            melts,
            fund,
            totals,
            warning,
            amount,
            action: tx.action,
        })
    }

    /// The index of account `id`: `found` if warming found it, else
    /// searched for now.
    fn looked_up(&self, found: Option<u32>, id: AccountId) -> Result<u32, Rejection> {
        debug_assert!(found.is_none() || self.account_index.get(&id).copied() == found);
        found.map_or_else(|| self.account(id), Ok)
    }

    fn check_holds(&self, index: u32, currency: u16, tx: &Transaction) -> Result<(), Rejection> {
        if self.accounts[index as usize].hot.currency != currency {
            let attributes = &self.cold[index as usize].attributes;
            return Err(Rejection::WrongCurrency {
                account: attributes.id,
                holds: attributes.currency,
                transaction: tx.currency,
            });
        }
        Ok(())
    }

    /// Whether the supply policy and the source's kind allow the action.
    fn check_policy(
        &self,
        state: &CurrencyState,
        source: u32,
        tx: &Transaction,
    ) -> Result<(), Rejection> {
        let supply = &state.spec.supply;
        let creates = matches!(tx.action, Action::Issue { .. } | Action::RaiseSupplyCap { .. });
        let is_issuer = self.accounts[source as usize].hot.kind == AccountKind::Issuer;
        if creates && matches!(supply, SupplyPolicy::Issued { .. }) && !is_issuer {
            return Err(Rejection::NotAnIssuer { account: tx.source });
        }

        let allowed = match (supply, tx.action) {
            (_, Action::Transfer { .. }) => true,
            (SupplyPolicy::Issued { .. }, Action::RaiseSupplyCap { .. }) => {
                state.totals.cap.is_some()
            }
            (SupplyPolicy::Issued { .. }, Action::Issue { .. } | Action::Redeem { .. }) => true,
            (SupplyPolicy::BasicIncome { .. }, Action::Redeem { .. }) => true,
            // Basic income is created only by distributions, and mutual
            // credit is never created or destroyed at all.
            _ => false,
        };
        if !allowed {
            return Err(Rejection::ActionNotAllowed {
                policy: policy_name(supply, state.totals.cap),
                action: action_name(&tx.action),
            });
        }
        Ok(())
    }

    /// Asks the currency's rules for a verdict on the planned movement.
    fn check_rules(
        &self,
        state: &CurrencyState,
        payer: Option<(u32, i128)>,
        payee: Option<(u32, i128)>,
        amount: i128,
        totals: &Totals,
        action: &Action,
    ) -> Result<Option<Warning>, Rejection> {
        let party = |(index, balance_after): (u32, i128)| Party {
            attributes: &self.cold[index as usize].attributes,
            profile: self.profile(&self.accounts[index as usize].hot),
            balance_after,
        };
        let movement = match (action, payer, payee) {
            (Action::Issue { .. }, _, Some(payee)) => Movement::Issue {
                payee: party(payee),
                amount,
                supply_after: totals.in_circulation(),
                cap: totals.cap,
            },
            (Action::Transfer { .. }, Some(payer), Some(payee)) => {
                Movement::Transfer { payer: party(payer), payee: party(payee), amount }
            }
            (Action::Redeem { .. }, Some(payer), _) => {
                Movement::Redeem { payer: party(payer), amount }
            }
            _ => return Ok(None),
        };
        match state.rules.check(&movement) {
            Ok(Verdict::Allowed) => Ok(None),
            Ok(Verdict::Warned(warning)) => Ok(Some(warning)),
            Err(violation) => Err(Rejection::RuleViolation(violation)),
        }
    }

    /// Adds the value melted from the given accounts to the destination
    /// account (returned with the credit) or to the burned total.
    pub(super) fn fund_credit(
        &self,
        currency: u16,
        melts: &[Option<(u32, Melt)>],
        totals: &mut Totals,
    ) -> Result<Option<(u32, i128)>, Rejection> {
        let melted: i128 = melts.iter().flatten().map(|(_, melt)| melt.melted).sum();
        if melted == 0 {
            return Ok(None);
        }
        match self.currencies[usize::from(currency)].melt_destination {
            Some(fund) => Ok(Some((fund, melted))),
            None => {
                totals.burned = add_total(totals.burned, melted, "burned total")?;
                Ok(None)
            }
        }
    }

    /// Writes a checked plan, and returns its warning for the receipt.
    /// Cannot fail: every check ran in [`Self::plan`].
    fn commit(&mut self, plan: &Plan) -> Option<Box<Warning>> {
        let currency = plan.currency;
        let code = self.currencies[usize::from(currency)].spec.code;
        let decimals = self.currencies[usize::from(currency)].spec.decimals;
        let amount = Amount::saturating_from_minor_units(plan.amount, decimals);
        let before = self.currencies[usize::from(currency)].totals;
        let touched = plan.touched_accounts();
        let balances_before = self.balance_sum(&touched);

        self.write_melts(currency, plan.at, &plan.melts, plan.fund);
        self.update_hot(plan.source, |source| source.next_sequence += 1);
        let counterpart = |index: Option<(u32, i128)>, ledger: &Ledger| {
            index.map(|(i, _)| ledger.accounts[i as usize].hot.id)
        };
        let payer_id = counterpart(plan.payer, self);
        let payee_id = counterpart(plan.payee, self);
        if let Some((index, after)) = plan.payer {
            let kind =
                if plan.payee.is_some() { PostingKind::TransferOut } else { PostingKind::Redeem };
            self.write_balance(index, after, plan.at);
            self.post(Posting {
                account: index,
                at: plan.at,
                transaction: Some(plan.id),
                kind,
                counterparty: payee_id,
                change: -plan.amount,
                balance_after: after,
            });
        }
        if let Some((index, after)) = plan.payee {
            let kind =
                if plan.payer.is_some() { PostingKind::TransferIn } else { PostingKind::Issue };
            self.write_balance(index, after, plan.at);
            let from = payer_id.or(Some(self.accounts[plan.source as usize].hot.id));
            self.post(Posting {
                account: index,
                at: plan.at,
                transaction: Some(plan.id),
                kind,
                counterparty: from,
                change: plan.amount,
                balance_after: after,
            });
        }
        self.write_totals(currency, plan.totals);
        let signer = &mut self.accounts[plan.source as usize].signer;
        let previous = std::mem::replace(&mut signer.last_transaction, plan.id);
        self.applied_count += 1;
        if self.undo.is_some() {
            self.record(Undo::Applied(plan.source, previous));
        }
        self.advance_clock(plan.at);

        let source_id = self.accounts[plan.source as usize].hot.id;
        let kind = match (plan.action, payer_id, payee_id) {
            (Action::Transfer { .. }, Some(from), Some(to)) => {
                EventKind::Transferred { transaction: plan.id, currency: code, from, to, amount }
            }
            (Action::Issue { .. }, _, Some(to)) => EventKind::Issued {
                transaction: Some(plan.id),
                currency: code,
                issuer: Some(source_id),
                to,
                amount,
            },
            (Action::Redeem { .. }, Some(from), _) => {
                EventKind::Redeemed { transaction: plan.id, currency: code, from, amount }
            }
            _ => EventKind::SupplyCapRaised { transaction: plan.id, currency: code, cap: amount },
        };
        self.emit(plan.at, kind);
        if let Some(warning) = &plan.warning {
            let warning = warning.clone();
            self.emit(plan.at, EventKind::Warned { transaction: plan.id, warning });
        }

        // The books must balance after every commit, checked on the accounts
        // this commit wrote (constant work, so on in release builds too):
        // what their balances changed by is what was created minus what was
        // destroyed, burned melt included.
        let after = self.currencies[usize::from(currency)].totals;
        let balances_after = self.balance_sum(&touched);
        assert_eq!(
            balances_after - balances_before,
            after.in_circulation() - before.in_circulation(),
            "a commit in currency {code} changed balances and supply differently"
        );
        self.assert_books_balance(currency);
        plan.warning.clone().map(Box::new)
    }
}

/// The supply policy's name in refusals.
pub(super) fn policy_name(supply: &SupplyPolicy, cap: Option<i128>) -> &'static str {
    match supply {
        SupplyPolicy::Issued { .. } if cap.is_none() => "uncapped issued",
        SupplyPolicy::Issued { .. } => "issued",
        SupplyPolicy::BasicIncome { .. } => "basic income",
        SupplyPolicy::MutualCredit { .. } => "mutual credit",
    }
}

/// What a transaction does, as a refusal names it.
fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Issue { .. } => "issuing",
        Action::Transfer { .. } => "transferring",
        Action::Redeem { .. } => "redeeming",
        Action::RaiseSupplyCap { .. } => "raising a supply cap",
        _ => "this action",
    }
}
