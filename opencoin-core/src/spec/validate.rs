//! Field-by-field checks from the raw file to a [`CurrencySpec`].
//!
//! Each function takes the path of the part it checks, so that an error can
//! say `rules[2].rate` rather than "a rate somewhere".

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::raw;
use super::{
    AreaSpec, CurrencySpec, DECLARED_ACCOUNTS_MAX, DeclaredAccount, DemurrageSpec, Enforcement,
    ExchangeLinkSpec, LinkDirection, MeltDestination, MeltRounding, NAME_BYTES_MAX, Party,
    PerimeterSpec, PolygonSpec, RULES_PER_CURRENCY_MAX, RuleKind, RuleSpec, SectorDirection,
    SectorMode, SectorPattern, SectorRuleSpec, SpecError, SupplyPolicy, parse_public_key,
    parse_rate,
};
use crate::{AccountId, AccountKind, Amount, CurrencyCode, Location, Period, SectorCode};

type Checked<T> = Result<T, SpecError>;

pub(super) fn currency(file: raw::CurrencyFile) -> Checked<CurrencySpec> {
    let code = CurrencyCode::new(&file.code).map_err(|e| SpecError::new("code", e.to_string()))?;
    let name = text("name", &file.name)?;
    let decimals = file.decimals;
    Amount::zero(decimals).map_err(|e| SpecError::new("decimals", e.to_string()))?;

    let supply = supply(&file.supply, decimals)?;
    let accounts = declared_accounts(&file.accounts, &supply, decimals)?;
    let declared: BTreeSet<AccountId> = accounts.iter().map(|account| account.id).collect();

    if file.rules.len() > RULES_PER_CURRENCY_MAX {
        return Err(SpecError::new(
            "rules",
            format!("has {} rules; at most {RULES_PER_CURRENCY_MAX}", file.rules.len()),
        ));
    }
    let rules = file
        .rules
        .iter()
        .enumerate()
        .map(|(index, raw_rule)| rule(index, raw_rule, decimals, &accounts))
        .collect::<Checked<Vec<_>>>()?;
    check_rule_set(&rules)?;

    let exempt_accounts = file.exempt_accounts.iter().copied().map(AccountId).collect();
    let exchange_links = file
        .exchange_links
        .iter()
        .enumerate()
        .map(|(index, link)| exchange_link(&format!("exchange_links[{index}]"), link, code, decimals))
        .collect::<Checked<Vec<_>>>()?;

    debug_assert_eq!(declared.len(), accounts.len());
    Ok(CurrencySpec { code, name, decimals, supply, rules, exempt_accounts, accounts, exchange_links })
}

fn text(path: &str, value: &str) -> Checked<String> {
    if value.trim().is_empty() {
        return Err(SpecError::new(path, "must not be empty"));
    }
    if value.len() > NAME_BYTES_MAX {
        return Err(SpecError::new(path, format!("is longer than {NAME_BYTES_MAX} bytes")));
    }
    Ok(value.to_owned())
}

fn amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    Amount::parse(value, decimals).map_err(|e| SpecError::new(path, e.to_string()))
}

fn positive_amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    amount(path, value, decimals)?.require_positive().map_err(|e| SpecError::new(path, e.to_string()))
}

fn non_negative_amount(path: &str, value: &str, decimals: u8) -> Checked<Amount> {
    amount(path, value, decimals)?
        .require_non_negative()
        .map_err(|e| SpecError::new(path, e.to_string()))
}

fn period(path: &str, value: &str) -> Checked<Period> {
    Period::parse(value).map_err(|e| SpecError::new(path, e.to_string()))
}

fn location(path: &str, [latitude, longitude]: [f64; 2]) -> Checked<Location> {
    Location::new(latitude, longitude).map_err(|e| SpecError::new(path, e.to_string()))
}

fn choice<T: Copy>(path: &str, value: Option<&str>, default: T, options: &[(&str, T)]) -> Checked<T> {
    let Some(value) = value else { return Ok(default) };
    options.iter().find(|(name, _)| *name == value).map(|&(_, option)| option).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        SpecError::new(path, format!("{value:?} is not one of {}", names.join(", ")))
    })
}

fn supply(supply: &raw::Supply, decimals: u8) -> Checked<SupplyPolicy> {
    match supply {
        raw::Supply::Issued { issuers, cap } => {
            if issuers.is_empty() {
                return Err(SpecError::new("supply.issuers", "must list at least one key"));
            }
            let issuers = issuers
                .iter()
                .enumerate()
                .map(|(index, key)| {
                    parse_public_key(key).map_err(|e| SpecError::new(format!("supply.issuers[{index}]"), e))
                })
                .collect::<Checked<Vec<_>>>()?;
            let cap = cap.as_deref().map(|cap| non_negative_amount("supply.cap", cap, decimals)).transpose()?;
            Ok(SupplyPolicy::Issued { issuers, cap })
        }
        raw::Supply::BasicIncome { amount, period: income_period } => Ok(SupplyPolicy::BasicIncome {
            amount: positive_amount("supply.amount", amount, decimals)?,
            period: period("supply.period", income_period)?,
        }),
        raw::Supply::MutualCredit { credit_limit, enforcement } => Ok(SupplyPolicy::MutualCredit {
            credit_limit: non_negative_amount("supply.credit_limit", credit_limit, decimals)?,
            enforcement: choice(
                "supply.enforcement",
                enforcement.as_deref(),
                Enforcement::Hard,
                &[("hard", Enforcement::Hard), ("soft", Enforcement::Soft)],
            )?,
        }),
    }
}

fn declared_accounts(
    accounts: &[raw::Account],
    supply: &SupplyPolicy,
    decimals: u8,
) -> Checked<Vec<DeclaredAccount>> {
    if accounts.len() > DECLARED_ACCOUNTS_MAX {
        return Err(SpecError::new("accounts", format!("at most {DECLARED_ACCOUNTS_MAX} may be declared")));
    }
    let mut seen = BTreeSet::new();
    let mut opening_total = Amount::zero(decimals).map_err(|e| SpecError::new("decimals", e.to_string()))?;
    let mut declared = Vec::with_capacity(accounts.len());

    for (index, account) in accounts.iter().enumerate() {
        let path = format!("accounts[{index}]");
        if !seen.insert(account.id) {
            return Err(SpecError::new(format!("{path}.id"), format!("account {} is declared twice", account.id)));
        }
        let kind = AccountKind::from_name(&account.kind).ok_or_else(|| {
            SpecError::new(format!("{path}.kind"), format!("{:?} is not an account kind", account.kind))
        })?;
        let owner = parse_public_key(&account.owner).map_err(|e| SpecError::new(format!("{path}.owner"), e))?;
        let location = account.location.map(|at| location(&format!("{path}.location"), at)).transpose()?;
        let sectors = account
            .sectors
            .iter()
            .enumerate()
            .map(|(i, code)| SectorCode::new(code).map_err(|e| SpecError::new(format!("{path}.sectors[{i}]"), e.to_string())))
            .collect::<Checked<Vec<_>>>()?;
        let opening_balance = match &account.opening_balance {
            Some(text) => non_negative_amount(&format!("{path}.opening_balance"), text, decimals)?,
            None => Amount::zero(decimals).map_err(|e| SpecError::new("decimals", e.to_string()))?,
        };

        if kind == AccountKind::Issuer {
            match supply {
                SupplyPolicy::Issued { issuers, .. } if issuers.contains(&owner) => {}
                SupplyPolicy::Issued { .. } => {
                    return Err(SpecError::new(format!("{path}.owner"), "an issuer account must be owned by a key in supply.issuers"));
                }
                _ => return Err(SpecError::new(format!("{path}.kind"), "issuer accounts exist only under the issued supply policy")),
            }
        }
        if opening_balance.is_positive() && !matches!(supply, SupplyPolicy::Issued { .. }) {
            return Err(SpecError::new(
                format!("{path}.opening_balance"),
                "opening balances are issued money and need the issued supply policy",
            ));
        }
        opening_total = opening_total
            .checked_add(opening_balance)
            .map_err(|e| SpecError::new(format!("{path}.opening_balance"), e.to_string()))?;

        let name = match &account.name {
            Some(name) => text(&format!("{path}.name"), name)?,
            None => format!("account {}", account.id),
        };
        declared.push(DeclaredAccount {
            id: AccountId(account.id),
            name,
            kind,
            owner,
            location,
            sectors,
            opening_balance,
        });
    }

    if let SupplyPolicy::Issued { cap: Some(cap), .. } = supply {
        if opening_total > *cap {
            return Err(SpecError::new(
                "supply.cap",
                format!("{cap} is below the {opening_total} issued as opening balances"),
            ));
        }
    }
    Ok(declared)
}

fn rule(index: usize, rule: &raw::Rule, decimals: u8, accounts: &[DeclaredAccount]) -> Checked<RuleSpec> {
    let path = format!("rules[{index}]");
    let (name, exempt) = match rule {
        raw::Rule::Perimeter { name, exempt, .. }
        | raw::Rule::Demurrage { name, exempt, .. }
        | raw::Rule::Sectors { name, exempt, .. }
        | raw::Rule::BalanceCeiling { name, exempt, .. }
        | raw::Rule::PaymentMax { name, exempt, .. } => (name, exempt),
    };

    let kind = match rule {
        raw::Rule::Perimeter { area: raw_area, applies_to, .. } => RuleKind::Perimeter(PerimeterSpec {
            area: area(&format!("{path}.area"), raw_area)?,
            applies_to: choice(
                &format!("{path}.applies_to"),
                applies_to.as_deref(),
                Party::Both,
                &[("payer", Party::Payer), ("payee", Party::Payee), ("both", Party::Both)],
            )?,
        }),
        raw::Rule::Demurrage { rate, period: rate_period, step, free_allowance, rounding, destination, .. } => {
            RuleKind::Demurrage(demurrage(&path, rate, rate_period, step.as_deref(), free_allowance.as_deref(), rounding.as_deref(), destination, decimals, accounts)?)
        }
        raw::Rule::Sectors { mode, codes, direction, reason, .. } => RuleKind::Sectors(SectorRuleSpec {
            mode: choice(&format!("{path}.mode"), Some(mode), SectorMode::Ban, &[("ban", SectorMode::Ban), ("allow", SectorMode::Allow)])?,
            patterns: sector_patterns(&format!("{path}.codes"), codes)?,
            direction: choice(
                &format!("{path}.direction"),
                direction.as_deref(),
                SectorDirection::PayingInto,
                &[
                    ("paying_into", SectorDirection::PayingInto),
                    ("receiving_from", SectorDirection::ReceivingFrom),
                    ("both", SectorDirection::Both),
                ],
            )?,
            reason: text(&format!("{path}.reason"), reason)?,
        }),
        raw::Rule::BalanceCeiling { max, .. } => {
            RuleKind::BalanceCeiling { max: positive_amount(&format!("{path}.max"), max, decimals)? }
        }
        raw::Rule::PaymentMax { max, .. } => {
            RuleKind::PaymentMax { max: positive_amount(&format!("{path}.max"), max, decimals)? }
        }
    };

    let name = match name {
        Some(name) => text(&format!("{path}.name"), name)?,
        None => format!("{} #{index}", kind.name()),
    };
    let exempt_kinds = exempt
        .kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            AccountKind::from_name(kind).ok_or_else(|| {
                SpecError::new(format!("{path}.exempt.kinds[{i}]"), format!("{kind:?} is not an account kind"))
            })
        })
        .collect::<Checked<BTreeSet<_>>>()?;
    let exempt_accounts = exempt.accounts.iter().copied().map(AccountId).collect();
    Ok(RuleSpec { name, exempt_kinds, exempt_accounts, kind })
}

/// Checks that need the whole list of rules: unique names, one demurrage.
fn check_rule_set(rules: &[RuleSpec]) -> Checked<()> {
    let mut names = BTreeSet::new();
    let mut demurrage_seen = false;
    for (index, rule) in rules.iter().enumerate() {
        if !names.insert(rule.name.as_str()) {
            return Err(SpecError::new(format!("rules[{index}].name"), format!("{:?} names two rules", rule.name)));
        }
        if matches!(rule.kind, RuleKind::Demurrage(_)) {
            if demurrage_seen {
                return Err(SpecError::new(format!("rules[{index}]"), "a currency has at most one demurrage rule"));
            }
            demurrage_seen = true;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn demurrage(
    path: &str,
    rate: &str,
    rate_period: &str,
    step: Option<&str>,
    free_allowance: Option<&str>,
    rounding: Option<&str>,
    destination: &raw::Destination,
    decimals: u8,
    accounts: &[DeclaredAccount],
) -> Checked<DemurrageSpec> {
    let rate_path = format!("{path}.rate");
    let rate = parse_rate(rate).map_err(|e| SpecError::new(&rate_path, e))?;
    if rate <= Decimal::ZERO {
        return Err(SpecError::new(rate_path, format!("{rate} must be above zero")));
    }
    if rate >= Decimal::ONE {
        return Err(SpecError::new(rate_path, format!("{rate} must be below 100% per period")));
    }

    let rate_period = period(&format!("{path}.period"), rate_period)?;
    let step_path = format!("{path}.step");
    let step = match step {
        None | Some("period") => rate_period,
        Some("minute") => period(&step_path, "1m")?,
        Some("hour") => period(&step_path, "1h")?,
        Some("day") => period(&step_path, "1d")?,
        Some(other) => {
            return Err(SpecError::new(step_path, format!("{other:?} is not one of minute, hour, day, period")));
        }
    };
    if rate_period.seconds() % step.seconds() != 0 {
        return Err(SpecError::new(step_path, format!("a step of {step} does not divide the period {rate_period}")));
    }

    let free_allowance = match free_allowance {
        Some(text) => non_negative_amount(&format!("{path}.free_allowance"), text, decimals)?,
        None => Amount::zero(decimals).map_err(|e| SpecError::new("decimals", e.to_string()))?,
    };
    let rounding = choice(
        &format!("{path}.rounding"),
        rounding,
        MeltRounding::Down,
        &[("down", MeltRounding::Down), ("nearest", MeltRounding::Nearest)],
    )?;
    let destination = match destination {
        raw::Destination::Burn => MeltDestination::Burn,
        raw::Destination::Account(id) => {
            if !accounts.iter().any(|account| account.id == AccountId(*id)) {
                return Err(SpecError::new(
                    format!("{path}.destination.account"),
                    format!("account {id} is not declared in accounts"),
                ));
            }
            MeltDestination::Account(AccountId(*id))
        }
    };
    Ok(DemurrageSpec { rate, period: rate_period, step, free_allowance, rounding, destination })
}

fn sector_patterns(path: &str, codes: &[String]) -> Checked<Vec<SectorPattern>> {
    if codes.is_empty() {
        return Err(SpecError::new(path, "must list at least one code"));
    }
    codes
        .iter()
        .enumerate()
        .map(|(index, code)| {
            let entry = format!("{path}[{index}]");
            match code.split_once('-') {
                Some((low, high)) => {
                    let number = |part: &str| -> Checked<u32> {
                        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(SpecError::new(&entry, format!("{code:?} is not a range of numeric codes such as 5000-5599")));
                        }
                        part.parse().map_err(|_| SpecError::new(&entry, format!("{code:?} has a code too large")))
                    };
                    let (low, high) = (number(low)?, number(high)?);
                    if low > high {
                        return Err(SpecError::new(&entry, format!("range {code:?} runs backwards")));
                    }
                    Ok(SectorPattern::Range { low, high })
                }
                None => SectorCode::new(code)
                    .map(SectorPattern::Prefix)
                    .map_err(|e| SpecError::new(&entry, e.to_string())),
            }
        })
        .collect()
}

fn area(path: &str, area: &raw::Area) -> Checked<AreaSpec> {
    match area {
        raw::Area::Circle { center, radius_km } => {
            let center = location(&format!("{path}.circle.center"), *center)?;
            if !(radius_km.is_finite() && *radius_km > 0.0) {
                return Err(SpecError::new(format!("{path}.circle.radius_km"), format!("{radius_km} must be a positive number of kilometres")));
            }
            Ok(AreaSpec::Circle { center, radius_km: *radius_km })
        }
        raw::Area::Geojson(geometry) => {
            let path = format!("{path}.geojson");
            let polygons = match (geometry.kind.as_str(), &geometry.coordinates) {
                ("Polygon", raw::Coordinates::Polygon(rings)) => vec![polygon(&format!("{path}.coordinates"), rings)?],
                ("MultiPolygon", raw::Coordinates::MultiPolygon(polygons)) => polygons
                    .iter()
                    .enumerate()
                    .map(|(index, rings)| polygon(&format!("{path}.coordinates[{index}]"), rings))
                    .collect::<Checked<Vec<_>>>()?,
                ("Polygon" | "MultiPolygon", _) => {
                    return Err(SpecError::new(format!("{path}.coordinates"), format!("do not have the nesting a {} needs", geometry.kind)));
                }
                (other, _) => {
                    return Err(SpecError::new(format!("{path}.type"), format!("{other:?} is not Polygon or MultiPolygon")));
                }
            };
            if polygons.is_empty() {
                return Err(SpecError::new(format!("{path}.coordinates"), "must hold at least one polygon"));
            }
            Ok(AreaSpec::Polygons(polygons))
        }
        raw::Area::Geohash(cells) => {
            if cells.is_empty() {
                return Err(SpecError::new(format!("{path}.geohash"), "must list at least one cell"));
            }
            for (index, cell) in cells.iter().enumerate() {
                let valid = (1..=12).contains(&cell.len())
                    && cell.bytes().all(|b| b"0123456789bcdefghjkmnpqrstuvwxyz".contains(&b));
                if !valid {
                    return Err(SpecError::new(format!("{path}.geohash[{index}]"), format!("{cell:?} is not a geohash cell (1 to 12 base-32 characters)")));
                }
            }
            Ok(AreaSpec::Geohash(cells.clone()))
        }
    }
}

/// Checks one GeoJSON polygon: rings of `[longitude, latitude]` positions,
/// closed or not, each with at least three distinct points.
fn polygon(path: &str, rings: &[Vec<[f64; 2]>]) -> Checked<PolygonSpec> {
    let mut checked = Vec::with_capacity(rings.len());
    for (ring_index, ring) in rings.iter().enumerate() {
        let ring_path = format!("{path}[{ring_index}]");
        let mut points = ring
            .iter()
            .enumerate()
            .map(|(i, &[longitude, latitude])| location(&format!("{ring_path}[{i}]"), [latitude, longitude]))
            .collect::<Checked<Vec<_>>>()?;
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        let mut distinct: Vec<Location> = Vec::with_capacity(points.len());
        for point in &points {
            if !distinct.contains(point) {
                distinct.push(*point);
            }
        }
        if distinct.len() < 3 {
            return Err(SpecError::new(ring_path, format!("has {} distinct points; a ring needs at least 3", distinct.len())));
        }
        checked.push(points);
    }
    let mut rings = checked.into_iter();
    let exterior = rings.next().ok_or_else(|| SpecError::new(path, "must hold an exterior ring"))?;
    Ok(PolygonSpec { exterior, holes: rings.collect() })
}

fn exchange_link(path: &str, link: &raw::ExchangeLink, own: CurrencyCode, decimals: u8) -> Checked<ExchangeLinkSpec> {
    let to = CurrencyCode::new(&link.to).map_err(|e| SpecError::new(format!("{path}.to"), e.to_string()))?;
    if to == own {
        return Err(SpecError::new(format!("{path}.to"), "a currency cannot link to itself"));
    }
    let rate_path = format!("{path}.rate");
    let rate = parse_rate(&link.rate).map_err(|e| SpecError::new(&rate_path, e))?;
    if rate <= Decimal::ZERO {
        return Err(SpecError::new(rate_path, format!("{rate} must be above zero")));
    }
    let fee_path = format!("{path}.fee");
    let fee = match &link.fee {
        Some(fee) => parse_rate(fee).map_err(|e| SpecError::new(&fee_path, e))?,
        None => Decimal::ZERO,
    };
    if fee < Decimal::ZERO || fee >= Decimal::ONE {
        return Err(SpecError::new(fee_path, format!("{fee} must be at least 0 and below 100%")));
    }
    let direction = choice(
        &format!("{path}.direction"),
        link.direction.as_deref(),
        LinkDirection::Both,
        &[("out", LinkDirection::Out), ("in", LinkDirection::In), ("both", LinkDirection::Both)],
    )?;
    let max_per_payment = link
        .max_per_payment
        .as_deref()
        .map(|max| positive_amount(&format!("{path}.max_per_payment"), max, decimals))
        .transpose()?;
    let max_per_period = match (&link.max_per_period, &link.cap_period) {
        (Some(max), Some(cap_period)) => Some((
            positive_amount(&format!("{path}.max_per_period"), max, decimals)?,
            period(&format!("{path}.cap_period"), cap_period)?,
        )),
        (None, None) => None,
        (Some(_), None) => return Err(SpecError::new(format!("{path}.cap_period"), "is needed with max_per_period")),
        (None, Some(_)) => return Err(SpecError::new(format!("{path}.max_per_period"), "is needed with cap_period")),
    };
    Ok(ExchangeLinkSpec { to, rate, fee, direction, max_per_payment, max_per_period })
}
