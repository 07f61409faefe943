//! The rules a community designs its currency with, and their evaluation.
//!
//! A [`CurrencySpec`] is compiled once into a [`RuleSet`]: perimeters become
//! geometry, sector lists become matchers, demurrage rates become per-step
//! factors. When an account is opened or changed, [`RuleSet::profile`]
//! decides everything that depends only on the account (is it inside the
//! perimeter, is it in a banned sector, which ceiling applies, does it
//! melt) and returns a small [`AccountProfile`]. Checking a payment with
//! [`RuleSet::check`] then reads only profiles and balances: constant work,
//! no allocation unless the payment is refused.
//!
//! Everything here is a pure function of its arguments: no state, no clock,
//! no I/O. The ledger owns balances and time and asks for verdicts.
//!
//! ```
//! use opencoin_core::{AccountAttributes, AccountId, AccountKind, CurrencySpec, Location};
//! use opencoin_rules::{Movement, Party, RuleSet};
//!
//! let spec = CurrencySpec::from_toml_str(r#"
//!     code = "VLG"
//!     name = "Village"
//!     decimals = 2
//!     supply = { policy = "mutual_credit", credit_limit = "100" }
//!     [[rules]]
//!     kind = "perimeter"
//!     area = { circle = { center = [46.5, 6.6], radius_km = 5 } }
//! "#)?;
//! let rules = RuleSet::compile(&spec)?;
//! let account = |id, lat| AccountAttributes {
//!     id: AccountId(id),
//!     currency: spec.code,
//!     kind: AccountKind::Member,
//!     location: Some(Location::new(lat, 6.6).unwrap()),
//!     sectors: vec![],
//! };
//! let (home, away) = (account(1, 46.5), account(2, 48.0));
//! let (home_profile, away_profile) = (rules.profile(&home), rules.profile(&away));
//!
//! let payment = Movement::Transfer {
//!     payer: Party { attributes: &home, profile: &home_profile, balance_after: -500 },
//!     payee: Party { attributes: &away, profile: &away_profile, balance_after: 500 },
//!     amount: 500,
//! };
//! let refusal = rules.check(&payment).unwrap_err();
//! assert_eq!(refusal.rule.path, "rules[0]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod demurrage;
pub mod perimeter;
pub mod sectors;
pub mod violation;

use std::collections::BTreeSet;

use opencoin_core::spec::RULES_PER_CURRENCY_MAX;
use opencoin_core::spec::{
    Enforcement, Party as PartySpec, RuleKind, SectorDirection, SectorRuleSpec, SupplyPolicy,
};
use opencoin_core::{AccountAttributes, AccountId, AccountKind, Amount, CurrencyCode};
use opencoin_core::{CurrencySpec, SpecError};

pub use demurrage::{Demurrage, Melt};
pub use perimeter::CompiledArea;
pub use violation::{RuleRef, RuleViolation, Side, ViolationDetail, Warning};

/// A rule's position in its currency file.
pub type RuleIndex = u16;

const _: () = assert!(RULES_PER_CURRENCY_MAX <= RuleIndex::MAX as usize);

/// A currency's rules, compiled for evaluation.
#[derive(Debug, Clone)]
pub struct RuleSet {
    code: CurrencyCode,
    decimals: u8,
    rules: Vec<CompiledRule>,
    demurrage: Option<Demurrage>,
    credit_floor: Option<(i128, Enforcement)>,
    exempt_from_all: BTreeSet<AccountId>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    name: String,
    exempt_kinds: BTreeSet<AccountKind>,
    exempt_accounts: BTreeSet<AccountId>,
    check: Check,
}

#[derive(Debug, Clone)]
enum Check {
    Perimeter { area: CompiledArea, applies_to: PartySpec },
    Sectors(SectorRuleSpec),
    BalanceCeiling(i128),
    PaymentMax(i128),
    Demurrage,
}

impl Check {
    fn kind(&self) -> &'static str {
        match self {
            Check::Perimeter { .. } => "perimeter",
            Check::Sectors(_) => "sectors",
            Check::BalanceCeiling(_) => "balance_ceiling",
            Check::PaymentMax(_) => "payment_max",
            Check::Demurrage => "demurrage",
        }
    }

    fn payment_max(&self) -> Option<i128> {
        match self {
            Check::PaymentMax(max) => Some(*max),
            _ => None,
        }
    }

    fn ceiling(&self) -> Option<i128> {
        match self {
            Check::BalanceCeiling(max) => Some(*max),
            _ => None,
        }
    }
}

/// What the rules decided about one account, once, when it was opened or
/// changed. Small and `Copy` so that the ledger can keep it beside the
/// balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccountProfile {
    /// The first rule that refuses every payment from this account.
    pub refused_as_payer: Option<RuleIndex>,
    /// The first rule that refuses every payment into this account.
    pub refused_as_payee: Option<RuleIndex>,
    /// The lowest payment maximum for payments from this account.
    pub payment_max: Option<(RuleIndex, i128)>,
    /// The lowest balance ceiling for this account.
    pub ceiling: Option<(RuleIndex, i128)>,
    /// Whether the account's balance melts under demurrage.
    pub melts: bool,
}

/// One side of a movement as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    /// The account's attributes, used only to explain a refusal.
    pub attributes: &'a AccountAttributes,
    /// The account's precomputed profile.
    pub profile: &'a AccountProfile,
    /// The account's balance after the movement, in minor units.
    pub balance_after: i128,
}

/// A proposed movement of money, with the balances it would leave.
#[derive(Debug, Clone, Copy)]
pub enum Movement<'a> {
    /// Money created and credited to `payee`.
    Issue {
        /// The account credited.
        payee: Party<'a>,
        /// Minor units created.
        amount: i128,
        /// The supply in circulation after the issue.
        supply_after: i128,
        /// The current cap, if any.
        cap: Option<i128>,
    },
    /// Money moved from `payer` to `payee`.
    Transfer {
        /// The account debited.
        payer: Party<'a>,
        /// The account credited.
        payee: Party<'a>,
        /// Minor units moved.
        amount: i128,
    },
    /// Money returned by `payer` and destroyed.
    Redeem {
        /// The account debited.
        payer: Party<'a>,
        /// Minor units destroyed.
        amount: i128,
    },
}

/// An allowed movement, possibly with a warning from a soft limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, nothing to report.
    Allowed,
    /// Allowed, but a soft limit was passed.
    Warned(Warning),
}

/// Where the supply-policy limits rank among refusals: after every rule in
/// the file.
const SUPPLY_RANK: u32 = u32::MAX;

impl RuleSet {
    /// Compiles a validated spec.
    ///
    /// # Errors
    ///
    /// [`SpecError`] for what only compilation can find: a polygon that
    /// crosses itself or whose holes leave it, a geohash cell the geohash
    /// crate refuses. A spec built in code, past the file loader, is also
    /// held here to the loader's limits on the number of rules and to one
    /// demurrage rule.
    pub fn compile(spec: &CurrencySpec) -> Result<RuleSet, SpecError> {
        // Files are held to this limit when loaded; a spec built in code is
        // held to it here, since a rule's position must fit a RuleIndex.
        if spec.rules.len() > RULES_PER_CURRENCY_MAX {
            return Err(SpecError::new(
                "rules",
                format!("has {} rules; at most {RULES_PER_CURRENCY_MAX}", spec.rules.len()),
            ));
        }
        let mut rules = Vec::with_capacity(spec.rules.len());
        let mut demurrage = None;
        for (index, rule) in spec.rules.iter().enumerate() {
            let path = format!("rules[{index}]");
            let check = match &rule.kind {
                RuleKind::Perimeter(perimeter) => Check::Perimeter {
                    area: CompiledArea::compile(&format!("{path}.area"), &perimeter.area)?,
                    applies_to: perimeter.applies_to,
                },
                RuleKind::Demurrage(spec) => {
                    // `CurrencySpec::demurrage` names the first demurrage
                    // rule; a second one here would melt by other figures.
                    if demurrage.is_some() {
                        return Err(SpecError::new(
                            path,
                            "is a second demurrage rule; a currency has at most one",
                        ));
                    }
                    demurrage = Some(Demurrage::compile(&path, spec)?);
                    Check::Demurrage
                }
                RuleKind::Sectors(sectors) => Check::Sectors(sectors.clone()),
                RuleKind::BalanceCeiling { max } => Check::BalanceCeiling(max.minor_units()),
                RuleKind::PaymentMax { max } => Check::PaymentMax(max.minor_units()),
                _ => {
                    return Err(SpecError::new(
                        path,
                        "is a kind of rule this version cannot apply",
                    ));
                }
            };
            rules.push(CompiledRule {
                name: rule.name.clone(),
                exempt_kinds: rule.exempt_kinds.clone(),
                exempt_accounts: rule.exempt_accounts.clone(),
                check,
            });
        }
        let credit_floor = match &spec.supply {
            SupplyPolicy::MutualCredit { credit_limit, enforcement } => {
                Some((-credit_limit.minor_units(), *enforcement))
            }
            _ => None,
        };
        Ok(RuleSet {
            code: spec.code,
            decimals: spec.decimals,
            rules,
            demurrage,
            credit_floor,
            exempt_from_all: spec.exempt_accounts.clone(),
        })
    }

    /// The currency these rules belong to.
    pub fn currency(&self) -> CurrencyCode {
        self.code
    }

    /// The demurrage rule, if the currency has one.
    pub fn demurrage(&self) -> Option<&Demurrage> {
        self.demurrage.as_ref()
    }

    /// The lowest balance an account may reach, in minor units: zero, or
    /// minus the credit limit under mutual credit. `None` for a soft credit
    /// limit, which is only warned about, not enforced.
    pub fn hard_floor(&self) -> Option<i128> {
        match self.credit_floor {
            None => Some(0),
            Some((floor, Enforcement::Hard)) => Some(floor),
            Some((_, Enforcement::Soft)) => None,
        }
    }

    fn exempt(&self, rule: &CompiledRule, account: &AccountAttributes) -> bool {
        self.exempt_from_all.contains(&account.id)
            || rule.exempt_kinds.contains(&account.kind)
            || rule.exempt_accounts.contains(&account.id)
    }

    /// Decides, once, everything about `account` that does not depend on a
    /// particular payment.
    pub fn profile(&self, account: &AccountAttributes) -> AccountProfile {
        let mut profile = AccountProfile::default();
        for (index, rule) in self.rules.iter().enumerate() {
            let Ok(index) = RuleIndex::try_from(index) else { break };
            if self.exempt(rule, account) {
                continue;
            }
            let (refuse_payer, refuse_payee) = self.refusal_sides(rule, account);
            if refuse_payer && profile.refused_as_payer.is_none() {
                profile.refused_as_payer = Some(index);
            }
            if refuse_payee && profile.refused_as_payee.is_none() {
                profile.refused_as_payee = Some(index);
            }
            match rule.check {
                Check::BalanceCeiling(max) => profile.ceiling = lowest(profile.ceiling, index, max),
                Check::PaymentMax(max) => {
                    profile.payment_max = lowest(profile.payment_max, index, max)
                }
                Check::Demurrage => profile.melts = true,
                Check::Perimeter { .. } | Check::Sectors(_) => {}
            }
        }

        // The destination of melted value is spared, or it would melt into
        // itself.
        let destination = self.demurrage.as_ref().map(Demurrage::destination);
        if destination == Some(opencoin_core::spec::MeltDestination::Account(account.id)) {
            profile.melts = false;
        }
        profile
    }

    /// Whether `rule` refuses `account` as a payer and as a payee.
    fn refusal_sides(&self, rule: &CompiledRule, account: &AccountAttributes) -> (bool, bool) {
        match &rule.check {
            Check::Perimeter { area, applies_to } => {
                let inside = account.location.is_some_and(|location| area.contains(location));
                let payer = matches!(applies_to, PartySpec::Payer | PartySpec::Both);
                let payee = matches!(applies_to, PartySpec::Payee | PartySpec::Both);
                (!inside && payer, !inside && payee)
            }
            Check::Sectors(sectors) => {
                let refused = sectors::refuses(sectors, &account.sectors).is_some();
                let payer = matches!(
                    sectors.direction,
                    SectorDirection::ReceivingFrom | SectorDirection::Both
                );
                let payee = matches!(
                    sectors.direction,
                    SectorDirection::PayingInto | SectorDirection::Both
                );
                (refused && payer, refused && payee)
            }
            Check::BalanceCeiling(_) | Check::PaymentMax(_) | Check::Demurrage => (false, false),
        }
    }

    /// Checks a proposed movement. Refusals rank by the position of their
    /// rule in the file, then the supply limits (credit limit, cap); only
    /// the first is returned, so every node names the same reason. When the
    /// payer and the payee both break the same rule, the payer is named.
    ///
    /// Which rules look at which movement:
    /// - a transfer: the payer's and the payee's perimeter and sector
    ///   refusals, the payer's payment maximum, the payee's ceiling, and the
    ///   payer's credit floor under mutual credit;
    /// - an issue: the payee's perimeter and sector refusals, its ceiling,
    ///   and the supply cap; it is not a payment, so no payment maximum;
    /// - a redemption: only the credit floor. Money leaving circulation is
    ///   not trade, so where the holder is and what it sells do not matter.
    ///
    /// The check does not look at whether the payer can afford the payment
    /// under the issued or basic-income policies: that is the ledger's
    /// "insufficient funds", not a rule.
    ///
    /// # Errors
    ///
    /// [`RuleViolation`] naming the rule, the figures and the reason; boxed,
    /// because it is large and only the refusal path pays for it.
    pub fn check(&self, movement: &Movement<'_>) -> Result<Verdict, Box<RuleViolation>> {
        let mut first: Option<(u32, Failure<'_>)> = None;
        let mut consider = |rank: u32, failure| {
            if first.as_ref().is_none_or(|(best, _)| rank < *best) {
                first = Some((rank, failure));
            }
        };
        let mut verdict = Verdict::Allowed;

        match *movement {
            Movement::Issue { payee, supply_after, cap, .. } => {
                self.check_payee(payee, &mut consider);
                if let Some(cap) = cap.filter(|cap| supply_after > *cap) {
                    consider(SUPPLY_RANK, Failure::SupplyCap { supply_after, cap });
                }
            }
            Movement::Transfer { payer, payee, amount } => {
                if let Some(rule) = payer.profile.refused_as_payer {
                    let account = payer.attributes;
                    consider(rank(rule), Failure::Refused { rule, side: Side::Payer, account });
                }
                self.check_payee(payee, &mut consider);
                if let Some(lowest) = payer.profile.payment_max.filter(|(_, max)| amount > *max) {
                    let (rule, max) =
                        self.earliest_broken(payer.attributes, amount, lowest, Check::payment_max);
                    consider(rank(rule), Failure::PaymentMax { rule, amount, max });
                }
                verdict = self.check_floor(payer, &mut consider);
            }
            Movement::Redeem { payer, .. } => {
                verdict = self.check_floor(payer, &mut consider);
            }
        }

        match first {
            None => Ok(verdict),
            Some((_, failure)) => Err(Box::new(self.explain(failure))),
        }
    }

    /// Checks the payee's refusal and ceiling.
    fn check_payee<'a>(&self, payee: Party<'a>, consider: &mut impl FnMut(u32, Failure<'a>)) {
        if let Some(rule) = payee.profile.refused_as_payee {
            let account = payee.attributes;
            consider(rank(rule), Failure::Refused { rule, side: Side::Payee, account });
        }
        let balance_after = payee.balance_after;
        if let Some(lowest) = payee.profile.ceiling.filter(|(_, max)| balance_after > *max) {
            let (rule, ceiling) =
                self.earliest_broken(payee.attributes, balance_after, lowest, Check::ceiling);
            consider(rank(rule), Failure::Ceiling { rule, ceiling, payee });
        }
    }

    /// The earliest rule applying to `account` whose limit (read by
    /// `limit`) `value` goes over, with that limit. The profile keeps only
    /// the lowest limit of a family, which decides whether a movement is
    /// refused but not which rule to name: with maxima of 100 then 50, a
    /// payment of 150 breaks both and the first must be named. Runs only on
    /// the refusal path; `lowest` (the profile's answer) is kept if the
    /// attributes no longer match the profile.
    fn earliest_broken(
        &self,
        account: &AccountAttributes,
        value: i128,
        lowest: (RuleIndex, i128),
        limit: fn(&Check) -> Option<i128>,
    ) -> (RuleIndex, i128) {
        let applying =
            self.rules.iter().enumerate().filter(|(_, rule)| !self.exempt(rule, account));
        let mut limits = applying.filter_map(|(index, rule)| {
            Some((RuleIndex::try_from(index).ok()?, limit(&rule.check)?))
        });
        limits.find(|&(_, max)| value > max).unwrap_or(lowest)
    }

    /// Checks the mutual-credit floor; a soft floor warns instead.
    fn check_floor<'a>(
        &self,
        payer: Party<'a>,
        consider: &mut impl FnMut(u32, Failure<'a>),
    ) -> Verdict {
        match self.credit_floor {
            Some((floor, enforcement)) if payer.balance_after < floor => match enforcement {
                Enforcement::Hard => {
                    consider(SUPPLY_RANK, Failure::CreditFloor { floor, payer });
                    Verdict::Allowed
                }
                Enforcement::Soft => Verdict::Warned(Warning::CreditLimitExceeded {
                    account: payer.attributes.id,
                    balance_after: self.amount(payer.balance_after),
                    floor: self.amount(floor),
                }),
            },
            _ => Verdict::Allowed,
        }
    }

    /// Turns a compact failure into the full, readable violation. Runs only
    /// on the refusal path.
    fn explain(&self, failure: Failure<'_>) -> RuleViolation {
        match failure {
            Failure::Refused { rule, side, account } => RuleViolation {
                rule: self.rule_ref(rule),
                detail: self.refusal_detail(rule, side, account),
            },
            Failure::PaymentMax { rule, amount, max } => RuleViolation {
                rule: self.rule_ref(rule),
                detail: ViolationDetail::ExceedsPaymentMax {
                    amount: self.amount(amount),
                    max: self.amount(max),
                },
            },
            Failure::Ceiling { rule, ceiling, payee } => RuleViolation {
                rule: self.rule_ref(rule),
                detail: ViolationDetail::ExceedsBalanceCeiling {
                    account: payee.attributes.id,
                    balance_after: self.amount(payee.balance_after),
                    ceiling: self.amount(ceiling),
                },
            },
            Failure::CreditFloor { floor, payer } => RuleViolation {
                rule: supply_ref("supply.credit_limit", "credit limit", "credit_limit"),
                detail: ViolationDetail::ExceedsCreditLimit {
                    account: payer.attributes.id,
                    balance_after: self.amount(payer.balance_after),
                    floor: self.amount(floor),
                },
            },
            Failure::SupplyCap { supply_after, cap } => RuleViolation {
                rule: supply_ref("supply.cap", "supply cap", "supply_cap"),
                detail: ViolationDetail::ExceedsSupplyCap {
                    supply_after: self.amount(supply_after),
                    cap: self.amount(cap),
                },
            },
        }
    }

    /// The figures of a refusal by a perimeter or a sector list, the only
    /// rules a profile refuses a party by; the sector to blame is looked up
    /// again from the attributes. An index that names another kind of rule
    /// can only come from a profile made by another rule set, and is
    /// reported as a perimeter.
    fn refusal_detail(
        &self,
        rule: RuleIndex,
        side: Side,
        account: &AccountAttributes,
    ) -> ViolationDetail {
        let outside = ViolationDetail::OutsidePerimeter {
            side,
            account: account.id,
            location: account.location,
        };
        match self.rules.get(usize::from(rule)).map(|rule| &rule.check) {
            Some(Check::Sectors(sectors)) => match sectors::refuses(sectors, &account.sectors) {
                Some(Some(sector)) => ViolationDetail::SectorBanned {
                    side,
                    account: account.id,
                    sector,
                    reason: sectors.reason.clone(),
                },
                _ => ViolationDetail::SectorNotApproved {
                    side,
                    account: account.id,
                    reason: sectors.reason.clone(),
                },
            },
            _ => outside,
        }
    }

    fn rule_ref(&self, index: RuleIndex) -> RuleRef {
        let rule = self.rules.get(usize::from(index));
        RuleRef {
            path: format!("rules[{index}]"),
            name: rule.map(|rule| rule.name.clone()).unwrap_or_default(),
            kind: rule.map_or("unknown", |rule| rule.check.kind()),
        }
    }

    fn amount(&self, minor_units: i128) -> Amount {
        Amount::saturating_from_minor_units(minor_units, self.decimals)
    }
}

/// A refusal before it is explained: figures and the borrowed party it is
/// about, so that the check allocates nothing until it knows which refusal
/// to report, and the explanation needs nothing else.
#[derive(Debug, Clone, Copy)]
enum Failure<'a> {
    Refused { rule: RuleIndex, side: Side, account: &'a AccountAttributes },
    PaymentMax { rule: RuleIndex, amount: i128, max: i128 },
    Ceiling { rule: RuleIndex, ceiling: i128, payee: Party<'a> },
    CreditFloor { floor: i128, payer: Party<'a> },
    SupplyCap { supply_after: i128, cap: i128 },
}

fn rank(rule: RuleIndex) -> u32 {
    u32::from(rule)
}

fn lowest(
    current: Option<(RuleIndex, i128)>,
    index: RuleIndex,
    max: i128,
) -> Option<(RuleIndex, i128)> {
    match current {
        Some((_, existing)) if existing <= max => current,
        _ => Some((index, max)),
    }
}

fn supply_ref(path: &str, name: &str, kind: &'static str) -> RuleRef {
    RuleRef { path: path.to_owned(), name: name.to_owned(), kind }
}

/// Checks that every exchange link of `spec` points at a currency for which
/// `is_known` is true: the links of a constellation must close.
///
/// # Errors
///
/// [`SpecError`] at `exchange_links[i].to` for the first unknown target.
pub fn check_exchange_links(
    spec: &CurrencySpec,
    is_known: impl Fn(CurrencyCode) -> bool,
) -> Result<(), SpecError> {
    for (index, link) in spec.exchange_links.iter().enumerate() {
        if !is_known(link.to) {
            return Err(SpecError::new(
                format!("exchange_links[{index}].to"),
                format!("{} is not a currency of this ledger", link.to),
            ));
        }
    }
    Ok(())
}
