//! Basic income: paying every member the income of each whole period since
//! the last distribution.

use opencoin_core::spec::SupplyPolicy;
use opencoin_core::{AccountKind, Amount, CurrencyCode, MINOR_UNITS_MAX, Timestamp};
use opencoin_rules::Melt;

use super::{Ledger, Posting, PostingKind, Receipt, add_balance, add_issued};
use crate::event::EventKind;
use crate::rejection::Rejection;

impl Ledger {
    pub(super) fn distribute_income(
        &mut self,
        code: CurrencyCode,
        at: Timestamp,
    ) -> Result<Receipt, Rejection> {
        self.check_time(at)?;
        let currency = self.currency(code)?;
        let state = &self.currencies[usize::from(currency)];
        let SupplyPolicy::BasicIncome { amount, period } = state.spec.supply else {
            return Err(Rejection::ActionNotAllowed {
                policy: super::payment::policy_name(&state.spec.supply, state.totals.cap),
                action: "distributing income",
            });
        };
        let paid_through = state.totals.income_paid_through;
        let periods = at.seconds_since(paid_through) / period.seconds();
        if periods == 0 {
            return Err(Rejection::NothingToDistribute { paid_through });
        }

        // Plan every credit before writing any, so that an overflow refuses
        // the whole distribution. Members are paid in account order.
        let per_member = i128::from(periods)
            .checked_mul(amount.minor_units())
            .filter(|income| *income <= MINOR_UNITS_MAX)
            .ok_or(Rejection::Overflow { what: "income" })?;
        let melts: Vec<Option<(u32, Melt)>> = self
            .accounts_in(currency)
            .filter(|&index| self.accounts[index as usize].hot.kind == AccountKind::Member)
            .map(|index| Some((index, self.settle(index, at))))
            .collect();
        let mut totals = state.totals;
        let fund = self.fund_credit(currency, &melts, &mut totals)?;
        for &(index, melt) in melts.iter().flatten() {
            let received = match fund {
                Some((fund_index, credit)) if fund_index == index => {
                    add_balance(per_member, credit)?
                }
                _ => per_member,
            };
            add_balance(melt.balance, received)?;
            totals.issued = add_issued(totals.issued, per_member)?;
        }
        if let Some((fund_index, credit)) = fund {
            add_balance(self.accounts[fund_index as usize].hot.balance, credit)?;
        }
        let paid_seconds = periods.saturating_mul(period.seconds());
        totals.income_paid_through = Timestamp(paid_through.seconds().saturating_add(paid_seconds));

        self.write_melts(currency, at, &melts, fund);
        for &(index, _) in melts.iter().flatten() {
            self.update_hot(index, |hot| hot.balance += per_member);
            let hot = &self.accounts[index as usize].hot;
            let (account, balance_after) = (hot.id, hot.balance);
            self.post(Posting {
                account: index,
                at,
                transaction: None,
                kind: PostingKind::Income,
                counterparty: None,
                change: per_member,
                balance_after,
            });
            let income = Amount::saturating_from_minor_units(per_member, amount.decimals());
            self.emit(at, EventKind::IncomePaid { currency: code, account, amount: income });
        }
        self.write_totals(currency, totals);
        self.advance_clock(at);
        self.assert_books_balance(currency);
        Ok(Receipt::Applied { warning: None })
    }
}
