//! Creating currencies and opening or changing accounts.
//!
//! A currency's declared accounts are opened with it and their opening
//! balances issued; an account's rule profile is decided when it is opened
//! or updated, so that payments only read it.

use std::collections::BTreeSet;

use opencoin_core::spec::{MeltDestination, SupplyPolicy};
use opencoin_core::{AccountAttributes, AccountKind, Amount, CurrencySpec, Timestamp};
use opencoin_rules::RuleSet;

use super::{
    AccountCold, AccountHot, AccountRecord, AccountSigner, CurrencyState, Ledger, Posting,
    PostingKind, Receipt, Totals, Undo, add_balance,
};
use crate::event::EventKind;
use crate::operation::{OpenAccount, SECTORS_PER_ACCOUNT_MAX, UpdateAccount};
use crate::rejection::Rejection;

impl Ledger {
    pub(super) fn create_currency(
        &mut self,
        spec: &CurrencySpec,
        at: Timestamp,
    ) -> Result<Receipt, Rejection> {
        self.check_time(at)?;
        if self.currency_index.contains_key(&spec.code) {
            return Err(Rejection::CurrencyExists(spec.code));
        }
        let rules = RuleSet::compile(spec).map_err(Rejection::InvalidSpec)?;
        let own_code = spec.code;
        opencoin_rules::check_exchange_links(spec, |code| {
            code == own_code || self.currency_index.contains_key(&code)
        })
        .map_err(Rejection::InvalidSpec)?;
        // A spec read from a file was validated (ids unique, no key of small
        // order), but `CurrencySpec`'s fields are public and one built or
        // edited in code was not: checked again here, since an account
        // opened with a weak key could be drained by anyone.
        let mut declared_ids = BTreeSet::new();
        for declared in &spec.accounts {
            if !declared_ids.insert(declared.id) || self.account_index.contains_key(&declared.id) {
                return Err(Rejection::AccountExists(declared.id));
            }
            if declared.owner.is_weak() {
                return Err(Rejection::WeakOwnerKey { account: declared.id });
            }
        }
        let index = u16::try_from(self.currencies.len())
            .map_err(|_| Rejection::Overflow { what: "number of currencies" })?;

        let cap = match &spec.supply {
            SupplyPolicy::Issued { cap, .. } => cap.map(Amount::minor_units),
            _ => None,
        };
        let totals = Totals { issued: 0, redeemed: 0, burned: 0, cap, income_paid_through: at };
        self.currencies.push(CurrencyState::new(spec.clone(), rules, totals, None));
        self.currency_index.insert(spec.code, index);
        self.record(Undo::CurrencyCreated(spec.code));
        self.advance_clock(at);
        self.emit(at, EventKind::CurrencyCreated { currency: spec.code });

        // Ids and owner keys were checked above, so opening the declared
        // accounts cannot be refused.
        // TODO(spec-validation): opening balances are trusted to be what the
        // file validation leaves (issued policy only, within the cap, and
        // summing within the amount range); a spec edited in code can break
        // that and the lifetime issued total's range. A public validation
        // function in opencoin-core, called from here, would close the gap.
        for declared in &spec.accounts {
            let open = OpenAccount {
                id: declared.id,
                currency: spec.code,
                owner: declared.owner,
                kind: declared.kind,
                location: declared.location,
                sectors: declared.sectors.clone(),
                at,
            };
            let account = self.insert_account(&open, index);
            if declared.opening_balance.is_positive() {
                self.credit_opening(index, account, declared.opening_balance, at);
            }
        }
        if let Some((_, _, demurrage)) = spec.demurrage()
            && let MeltDestination::Account(id) = demurrage.destination
        {
            self.currencies[usize::from(index)].melt_destination =
                self.account_index.get(&id).copied();
        }
        Ok(Receipt::Applied { warning: None })
    }

    fn credit_opening(&mut self, currency: u16, account: u32, amount: Amount, at: Timestamp) {
        let minor = amount.minor_units();
        let mut totals = self.currencies[usize::from(currency)].totals;
        totals.issued += minor;
        self.update_hot(account, |hot| hot.balance += minor);
        self.write_totals(currency, totals);
        let id = self.cold[account as usize].attributes.id;
        self.post(Posting {
            account,
            at,
            transaction: None,
            kind: PostingKind::Opening,
            counterparty: None,
            change: minor,
            balance_after: self.accounts[account as usize].hot.balance,
        });
        let code = self.currencies[usize::from(currency)].spec.code;
        self.emit(
            at,
            EventKind::Issued { transaction: None, currency: code, issuer: None, to: id, amount },
        );
        self.assert_books_balance(currency);
    }

    pub(super) fn open_account(&mut self, open: &OpenAccount) -> Result<Receipt, Rejection> {
        self.check_time(open.at)?;
        let currency = self.currency(open.currency)?;
        if self.account_index.contains_key(&open.id) {
            return Err(Rejection::AccountExists(open.id));
        }
        if open.sectors.len() > SECTORS_PER_ACCOUNT_MAX {
            return Err(Rejection::TooManySectors {
                count: open.sectors.len(),
                max: SECTORS_PER_ACCOUNT_MAX,
            });
        }
        if open.owner.is_weak() {
            return Err(Rejection::WeakOwnerKey { account: open.id });
        }
        if open.kind == AccountKind::Issuer {
            let allowed = match &self.currencies[usize::from(currency)].spec.supply {
                SupplyPolicy::Issued { issuers, .. } => issuers.contains(&open.owner),
                _ => false,
            };
            if !allowed {
                return Err(Rejection::NotAnIssuer { account: open.id });
            }
        }

        self.insert_account(open, currency);
        self.advance_clock(open.at);
        Ok(Receipt::Applied { warning: None })
    }

    fn insert_account(&mut self, open: &OpenAccount, currency: u16) -> u32 {
        let attributes = AccountAttributes {
            id: open.id,
            currency: open.currency,
            kind: open.kind,
            location: open.location,
            sectors: open.sectors.clone(),
        };
        let profile = self.currencies[usize::from(currency)].rules.profile(&attributes);
        let profile = self.intern_profile(profile);
        // Account indexes are u32; four billion accounts is far beyond the
        // memory of one machine, so saturating here would never be reached.
        let index = u32::try_from(self.accounts.len()).unwrap_or(u32::MAX);
        let hot = AccountHot {
            balance: 0,
            as_of: open.at,
            next_sequence: 0,
            id: open.id,
            profile,
            currency,
            kind: open.kind,
        };
        let signer = AccountSigner::new(open.owner.to_bytes());
        self.accounts.push(AccountRecord { hot, signer });
        self.cold.push(AccountCold { attributes });
        self.account_index.insert(open.id, index);
        self.record(Undo::AccountOpened(open.id));
        self.emit(
            open.at,
            EventKind::AccountOpened { account: open.id, currency: open.currency, kind: open.kind },
        );
        index
    }

    pub(super) fn update_account(&mut self, update: &UpdateAccount) -> Result<Receipt, Rejection> {
        self.check_time(update.at)?;
        let index = self.account(update.id)?;
        if update.sectors.len() > SECTORS_PER_ACCOUNT_MAX {
            return Err(Rejection::TooManySectors {
                count: update.sectors.len(),
                max: SECTORS_PER_ACCOUNT_MAX,
            });
        }

        // Settle demurrage first, so that the melt up to now is computed
        // under the profile that applied until now.
        let currency = self.accounts[index as usize].hot.currency;
        self.settle_and_write(currency, index, update.at)?;

        let old = self.cold[index as usize].clone();
        let mut cold = old.clone();
        cold.attributes.location = update.location;
        cold.attributes.sectors = update.sectors.clone();
        let profile = self.currencies[usize::from(currency)].rules.profile(&cold.attributes);
        let profile = self.intern_profile(profile);
        self.record(Undo::Cold(index, old));
        self.cold[index as usize] = cold;
        self.update_hot(index, |hot| hot.profile = profile);
        self.advance_clock(update.at);
        self.emit(update.at, EventKind::AccountUpdated { account: update.id });
        Ok(Receipt::Applied { warning: None })
    }

    /// Writes the demurrage of one account up to `at`, crediting the
    /// destination or burning. Checks before writing, so a refusal changes
    /// nothing.
    pub(super) fn settle_and_write(
        &mut self,
        currency: u16,
        index: u32,
        at: Timestamp,
    ) -> Result<(), Rejection> {
        let melts = [Some((index, self.settle(index, at)))];
        let mut totals = self.currencies[usize::from(currency)].totals;
        let fund = self.fund_credit(currency, &melts, &mut totals)?;
        if let Some((fund_index, credit)) = fund {
            add_balance(self.accounts[fund_index as usize].hot.balance, credit)?;
        }

        self.write_melts(currency, at, &melts, fund);
        self.write_totals(currency, totals);
        self.assert_books_balance(currency);
        Ok(())
    }
}
