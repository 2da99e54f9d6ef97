//! What an OData `$filter` and `$orderby` mean for the v2 feed: properties become database
//! conditions and orderings. Whatever has no exact meaning here is refused with a sentence that
//! names it, so a client never gets a silently different answer.
use crate::db::feed_v2::{BoolColumn, Case, Condition, IntColumn, IntOp, OrderKey, TextColumn, TextOp};
use crate::domain::version::NuGetVersion;
use crate::error::AppError;
use crate::protocol::odata_filter::{CompareOp, Expr};
use crate::protocol::odata_query::OrderItem;
use crate::protocol::v2_properties::Property;

fn bad(message: impl Into<String>) -> AppError {
    AppError::BadRequest(message.into())
}

fn property(name: &str) -> Result<Property, AppError> {
    Property::parse(name)
        .ok_or_else(|| bad(format!("The property '{name}' in $filter does not exist on V2FeedPackage.")))
}

fn not_filterable(p: Property) -> AppError {
    bad(format!("Filtering on '{}' is not supported.", p.name()))
}

fn text_column(p: Property) -> Option<TextColumn> {
    Some(match p {
        Property::Id => TextColumn::Id,
        Property::Version => TextColumn::Version,
        Property::NormalizedVersion => TextColumn::NormalizedVersion,
        Property::Title => TextColumn::Title,
        Property::Description => TextColumn::Description,
        Property::Summary => TextColumn::Summary,
        Property::Tags => TextColumn::Tags,
        Property::Authors => TextColumn::Authors,
        Property::Copyright => TextColumn::Copyright,
        Property::ReleaseNotes => TextColumn::ReleaseNotes,
        Property::Language => TextColumn::Language,
        Property::ProjectUrl => TextColumn::ProjectUrl,
        Property::IconUrl => TextColumn::IconUrl,
        Property::LicenseUrl => TextColumn::LicenseUrl,
        Property::MinClientVersion => TextColumn::MinClientVersion,
        Property::PackageHash => TextColumn::PackageHash,
        _ => return None,
    })
}

fn bool_column(p: Property) -> Option<BoolColumn> {
    Some(match p {
        Property::IsLatestVersion => BoolColumn::IsLatestVersion,
        Property::IsAbsoluteLatestVersion => BoolColumn::IsAbsoluteLatestVersion,
        Property::IsPrerelease => BoolColumn::IsPrerelease,
        Property::Listed => BoolColumn::Listed,
        Property::RequireLicenseAcceptance => BoolColumn::RequireLicenseAcceptance,
        Property::DevelopmentDependency => BoolColumn::DevelopmentDependency,
        _ => return None,
    })
}

fn int_column(p: Property) -> Option<IntColumn> {
    Some(match p {
        Property::DownloadCount => IntColumn::DownloadCount,
        Property::VersionDownloadCount => IntColumn::VersionDownloadCount,
        Property::PackageSize => IntColumn::PackageSize,
        _ => return None,
    })
}

const TEXT_FUNCTIONS: [&str; 5] = ["substringof", "startswith", "endswith", "tolower", "toupper"];

fn unsupported_function(name: &str) -> AppError {
    bad(format!("The $filter function '{name}' is not supported."))
}

fn arguments<'a>(name: &str, args: &'a [Expr], n: usize) -> Result<&'a [Expr], AppError> {
    if args.len() == n {
        Ok(args)
    } else {
        Err(bad(format!("The $filter function '{name}' takes {n} argument{}.", if n == 1 { "" } else { "s" })))
    }
}

/// A text operand: a property, or `tolower`/`toupper` of one.
fn text_operand(expr: &Expr) -> Result<(TextColumn, Case), AppError> {
    match expr {
        Expr::Member(name) => {
            let p = property(name)?;
            match text_column(p) {
                Some(column) => Ok((column, Case::AsIs)),
                None if bool_column(p).is_some() || int_column(p).is_some() => {
                    Err(bad(format!("'{}' is not text; it cannot be compared with text.", p.name())))
                }
                None => Err(not_filterable(p)),
            }
        }
        Expr::Call(name, args) if name.eq_ignore_ascii_case("tolower") || name.eq_ignore_ascii_case("toupper") => {
            let args = arguments(name, args, 1)?;
            let Expr::Member(_) = &args[0] else {
                return Err(bad(format!(
                    "The $filter function '{name}' is supported only around a property, as in {name}(Id)."
                )));
            };
            let (column, _) = text_operand(&args[0])?;
            Ok((column, if name.eq_ignore_ascii_case("tolower") { Case::Lower } else { Case::Upper }))
        }
        Expr::Call(name, _) => Err(unsupported_function(name)),
        _ => Err(bad("This $filter comparison is not supported: compare a property with a literal, as in Id eq 'x'.")),
    }
}

/// A text test; ids compare case-insensitively everywhere, as NuGet ids do.
fn text(column: TextColumn, case: Case, op: TextOp, value: &str) -> Condition {
    if column == TextColumn::Id {
        return Condition::Text { column, case: Case::Lower, op, value: value.to_ascii_lowercase() };
    }
    Condition::Text { column, case, op, value: value.to_owned() }
}

fn string_argument<'a>(name: &str, expr: &'a Expr) -> Result<&'a str, AppError> {
    match expr {
        Expr::Str(s) => Ok(s),
        _ => Err(bad(format!(
            "The $filter function '{name}' is supported only with a string literal, as in {name}('x',Id)."
        ))),
    }
}

/// A condition: the whole `$filter`, or any part that is true or false.
pub fn condition(expr: &Expr) -> Result<Condition, AppError> {
    match expr {
        Expr::Or(a, b) => Ok(Condition::Any(vec![condition(a)?, condition(b)?])),
        Expr::And(a, b) => Ok(Condition::All(vec![condition(a)?, condition(b)?])),
        Expr::Not(a) => Ok(Condition::Not(Box::new(condition(a)?))),
        Expr::Bool(true) => Ok(Condition::True),
        Expr::Bool(false) => Ok(Condition::Not(Box::new(Condition::True))),
        Expr::Member(name) => {
            let p = property(name)?;
            bool_column(p).map(Condition::Flag).ok_or_else(|| {
                bad(format!("'{}' is not true or false; compare it with a value, as in {} eq '…'.", p.name(), p.name()))
            })
        }
        Expr::Call(name, args) => match name.to_ascii_lowercase().as_str() {
            "substringof" => {
                let args = arguments(name, args, 2)?;
                let value = string_argument(name, &args[0])?;
                let (column, case) = text_operand(&args[1])?;
                Ok(text(column, case, TextOp::Contains, value))
            }
            "startswith" | "endswith" => {
                let args = arguments(name, args, 2)?;
                let (column, case) = text_operand(&args[0])?;
                let op = if name.eq_ignore_ascii_case("startswith") { TextOp::StartsWith } else { TextOp::EndsWith };
                Ok(text(column, case, op, string_argument(name, &args[1])?))
            }
            lower if TEXT_FUNCTIONS.contains(&lower) => {
                Err(bad(format!("The $filter function '{name}' gives text, not true or false.")))
            }
            _ => Err(unsupported_function(name)),
        },
        Expr::Compare(left, op, right) => compare(left, *op, right),
        Expr::Str(_) | Expr::Int(_) | Expr::Null => Err(bad("The $filter must be a condition, not a value.")),
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Str(_) | Expr::Int(_) | Expr::Bool(_) | Expr::Null)
}

fn flipped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        other => other,
    }
}

fn negate_if(negate: bool, c: Condition) -> Condition {
    if negate {
        Condition::Not(Box::new(c))
    } else {
        c
    }
}

fn compare(left: &Expr, op: CompareOp, right: &Expr) -> Result<Condition, AppError> {
    for side in [left, right] {
        if let Expr::Call(name, _) = side {
            if !TEXT_FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                return Err(unsupported_function(name));
            }
        }
    }
    // `'x' eq Id` means `Id eq 'x'`.
    if is_literal(left) && !is_literal(right) {
        return compare(right, flipped(op), left);
    }
    let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
    let ne = op == CompareOp::Ne;
    match right {
        Expr::Bool(b) if equality => Ok(negate_if(*b == ne, condition(left)?)),
        Expr::Null if equality => {
            let Expr::Member(name) = left else {
                return Ok(negate_if(ne, text_null(left)?));
            };
            let p = property(name)?;
            match text_column(p) {
                Some(column) => Ok(negate_if(ne, Condition::IsNull(column))),
                // The other properties are never null.
                None if p.nullable() => Err(not_filterable(p)),
                None => Ok(negate_if(!ne, Condition::True)),
            }
        }
        Expr::Str(value) => {
            let (column, case) = text_operand(left)?;
            if !equality {
                return Err(bad(format!(
                    "The operator '{}' is not supported for text in $filter; use eq or ne.",
                    op.name()
                )));
            }
            if matches!(column, TextColumn::Version | TextColumn::NormalizedVersion) && case == Case::AsIs {
                // nuget.org compares versions in normalized form: Version eq '1.0' finds 1.0.0.
                let found = NuGetVersion::parse(value)
                    .map_or(Condition::Not(Box::new(Condition::True)), |v| Condition::VersionIs(v.lower_normalized()));
                return Ok(negate_if(ne, found));
            }
            Ok(text(column, case, if ne { TextOp::Ne } else { TextOp::Eq }, value))
        }
        Expr::Int(value) => {
            let Expr::Member(name) = left else {
                return Err(bad("This $filter comparison is not supported: compare a property with a literal, as in DownloadCount gt 10."));
            };
            let p = property(name)?;
            let Some(column) = int_column(p) else {
                return Err(if text_column(p).is_some() || bool_column(p).is_some() {
                    bad(format!("'{}' cannot be compared with a number.", p.name()))
                } else {
                    not_filterable(p)
                });
            };
            let op = match op {
                CompareOp::Eq => IntOp::Eq,
                CompareOp::Ne => IntOp::Ne,
                CompareOp::Gt => IntOp::Gt,
                CompareOp::Ge => IntOp::Ge,
                CompareOp::Lt => IntOp::Lt,
                CompareOp::Le => IntOp::Le,
            };
            Ok(Condition::Int { column, op, value: *value })
        }
        Expr::Bool(_) | Expr::Null => {
            Err(bad(format!("The operator '{}' is not supported with true, false or null.", op.name())))
        }
        _ => {
            if let Expr::Member(name) = left {
                let p = property(name)?;
                if text_column(p).is_none() && bool_column(p).is_none() && int_column(p).is_none() {
                    return Err(not_filterable(p));
                }
            }
            Err(bad("This $filter comparison is not supported: compare a property with a literal, as in Id eq 'x'."))
        }
    }
}

/// `tolower(Title) eq null`: null exactly when the property is.
fn text_null(expr: &Expr) -> Result<Condition, AppError> {
    let (column, _) = text_operand(expr)?;
    Ok(Condition::IsNull(column))
}

/// `$orderby` items as database orderings.
pub fn order(items: &[OrderItem]) -> Result<Vec<(OrderKey, bool)>, AppError> {
    items
        .iter()
        .map(|item| {
            let key = match item.property {
                Property::Id => OrderKey::Id,
                Property::Version | Property::NormalizedVersion => OrderKey::Version,
                Property::DownloadCount => OrderKey::DownloadCount,
                Property::VersionDownloadCount => OrderKey::VersionDownloadCount,
                Property::Published => OrderKey::Published,
                Property::Created => OrderKey::Created,
                Property::LastUpdated | Property::LastEdited => OrderKey::LastUpdated,
                Property::Title => OrderKey::Title,
                Property::PackageSize => OrderKey::PackageSize,
                other => return Err(bad(format!("Ordering by '{}' is not supported.", other.name()))),
            };
            Ok((key, item.descending))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::odata_filter::parse;

    fn cond(input: &str) -> Condition {
        condition(&parse(input).unwrap()).unwrap()
    }

    fn err(input: &str) -> String {
        condition(&parse(input).unwrap()).unwrap_err().to_string()
    }

    fn not(c: Condition) -> Condition {
        Condition::Not(Box::new(c))
    }

    #[test]
    fn flags_and_their_comparisons() {
        assert_eq!(cond("IsLatestVersion"), Condition::Flag(BoolColumn::IsLatestVersion));
        assert_eq!(cond("IsPrerelease eq false"), not(Condition::Flag(BoolColumn::IsPrerelease)));
        assert_eq!(cond("false ne IsPrerelease"), Condition::Flag(BoolColumn::IsPrerelease));
        assert_eq!(
            cond("substringof('a',Title) eq true"),
            Condition::Text { column: TextColumn::Title, case: Case::AsIs, op: TextOp::Contains, value: "a".into() }
        );
    }

    #[test]
    fn ids_compare_case_insensitively_and_versions_normalized() {
        let id = |op| Condition::Text { column: TextColumn::Id, case: Case::Lower, op, value: "acme.core".into() };
        assert_eq!(cond("tolower(Id) eq 'acme.core'"), id(TextOp::Eq));
        assert_eq!(cond("Id eq 'Acme.Core'"), id(TextOp::Eq));
        assert_eq!(cond("Id ne 'ACME.CORE'"), id(TextOp::Ne));
        assert_eq!(cond("substringof('Acme.Core',tolower(Id))"), id(TextOp::Contains));
        assert_eq!(cond("Version eq '1.0'"), Condition::VersionIs("1.0.0".into()));
        assert_eq!(cond("NormalizedVersion ne '2.0.0-BETA'"), not(Condition::VersionIs("2.0.0-beta".into())));
        assert_eq!(cond("Version eq 'junk'"), not(Condition::True));
    }

    #[test]
    fn nulls_numbers_and_combinations() {
        assert_eq!(cond("Tags ne null"), not(Condition::IsNull(TextColumn::Tags)));
        assert_eq!(cond("IsPrerelease eq null"), not(Condition::True));
        assert_eq!(
            cond("DownloadCount ge 10"),
            Condition::Int { column: IntColumn::DownloadCount, op: IntOp::Ge, value: 10 }
        );
        assert_eq!(
            cond("10 lt PackageSize"),
            Condition::Int { column: IntColumn::PackageSize, op: IntOp::Gt, value: 10 }
        );
        assert_eq!(
            cond("(IsLatestVersion or IsAbsoluteLatestVersion) and not Listed"),
            Condition::All(vec![
                Condition::Any(vec![
                    Condition::Flag(BoolColumn::IsLatestVersion),
                    Condition::Flag(BoolColumn::IsAbsoluteLatestVersion)
                ]),
                not(Condition::Flag(BoolColumn::Listed)),
            ])
        );
    }

    #[test]
    fn refusals_name_what_is_unsupported() {
        assert_eq!(err("Bogus eq 'x'"), "The property 'Bogus' in $filter does not exist on V2FeedPackage.");
        assert_eq!(err("Dependencies eq 'x'"), "Filtering on 'Dependencies' is not supported.");
        assert_eq!(err("LastEdited eq null"), "Filtering on 'LastEdited' is not supported.");
        assert_eq!(err("Published eq Created"), "Filtering on 'Published' is not supported.");
        assert_eq!(err("IsPrerelease eq 'x'"), "'IsPrerelease' is not text; it cannot be compared with text.");
        assert_eq!(err("length(Id) gt 3"), "The $filter function 'length' is not supported.");
        assert_eq!(err("3 lt length(Id)"), "The $filter function 'length' is not supported.");
        assert_eq!(err("trim(Id) eq 'x'"), "The $filter function 'trim' is not supported.");
        assert_eq!(err("Id gt 'a'"), "The operator 'gt' is not supported for text in $filter; use eq or ne.");
        assert_eq!(err("Id"), "'Id' is not true or false; compare it with a value, as in Id eq '…'.");
        assert_eq!(err("tolower(Id)"), "The $filter function 'tolower' gives text, not true or false.");
        assert_eq!(
            err("substringof(Id,'abc')"),
            "The $filter function 'substringof' is supported only with a string literal, as in substringof('x',Id)."
        );
        assert_eq!(err("substringof('a')"), "The $filter function 'substringof' takes 2 arguments.");
        assert_eq!(
            err("Id eq Title"),
            "This $filter comparison is not supported: compare a property with a literal, as in Id eq 'x'."
        );
        assert_eq!(err("'a'"), "The $filter must be a condition, not a value.");
        assert_eq!(err("IsPrerelease gt true"), "The operator 'gt' is not supported with true, false or null.");
        assert_eq!(err("Title eq 5"), "'Title' cannot be compared with a number.");
    }

    #[test]
    fn orderings() {
        let items = [
            OrderItem { property: Property::DownloadCount, descending: true },
            OrderItem { property: Property::Id, descending: false },
        ];
        assert_eq!(order(&items).unwrap(), vec![(OrderKey::DownloadCount, true), (OrderKey::Id, false)]);
        let bad = [OrderItem { property: Property::Dependencies, descending: false }];
        assert_eq!(order(&bad).unwrap_err().to_string(), "Ordering by 'Dependencies' is not supported.");
    }
}
