//! The conditions and orderings of v2 listings, and their rendering to SQL with bound
//! arguments (user text never becomes SQL text), in the SQL both engines run. Two things differ
//! by engine and are decided here, once: how text is folded and compared in order (`text`).
use super::super::sql::{Engine, Value};
use super::super::version_order::FUNCTION as VERSION_KEY;

/// A text property a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColumn {
    Id,
    Version,
    NormalizedVersion,
    Title,
    Description,
    Summary,
    Tags,
    Authors,
    Copyright,
    ReleaseNotes,
    Language,
    ProjectUrl,
    IconUrl,
    LicenseUrl,
    MinClientVersion,
    PackageHash,
}

impl TextColumn {
    fn sql(self) -> &'static str {
        match self {
            TextColumn::Id => "p.package_id",
            TextColumn::Version => "v.version_full",
            TextColumn::NormalizedVersion => "v.version_normalized",
            TextColumn::Title => "v.title",
            TextColumn::Description => "v.description",
            TextColumn::Summary => "v.summary",
            // nuget.org stores tags with a space on each side, and NuGet 2.x searches them with
            // substringof(' term ',tolower(Tags)); no tags is null.
            TextColumn::Tags => "nullif(' ' || v.tags || ' ', '  ')",
            TextColumn::Authors => "v.authors",
            TextColumn::Copyright => "v.copyright",
            TextColumn::ReleaseNotes => "v.release_notes",
            TextColumn::Language => "v.language",
            TextColumn::ProjectUrl => "v.project_url",
            TextColumn::IconUrl => "v.icon_url",
            TextColumn::LicenseUrl => "v.license_url",
            TextColumn::MinClientVersion => "v.min_client_version",
            TextColumn::PackageHash => "v.hash_sha512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    AsIs,
    Lower,
    Upper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolColumn {
    IsLatestVersion,
    IsAbsoluteLatestVersion,
    IsPrerelease,
    Listed,
    RequireLicenseAcceptance,
    DevelopmentDependency,
}

impl BoolColumn {
    fn sql(self) -> &'static str {
        match self {
            BoolColumn::IsLatestVersion => "f.is_latest",
            BoolColumn::IsAbsoluteLatestVersion => "f.is_absolute_latest",
            BoolColumn::IsPrerelease => "v.is_prerelease",
            BoolColumn::Listed => "v.listed",
            BoolColumn::RequireLicenseAcceptance => "v.require_license_acceptance",
            BoolColumn::DevelopmentDependency => "v.development_dependency",
        }
    }

    fn needs_flags(self) -> bool {
        matches!(self, BoolColumn::IsLatestVersion | BoolColumn::IsAbsoluteLatestVersion)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntColumn {
    DownloadCount,
    VersionDownloadCount,
    PackageSize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// What a row must satisfy, beyond being available (and SemVer 1.0 unless asked for 2.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    True,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Flag(BoolColumn),
    Text {
        column: TextColumn,
        case: Case,
        op: TextOp,
        value: String,
    },
    IsNull(TextColumn),
    Int {
        column: IntColumn,
        op: IntOp,
        value: i64,
    },
    /// The version, lowercase normalized.
    VersionIs(String),
    /// Lowercase ids.
    IdIn(Vec<String>),
}

impl Condition {
    pub(super) fn needs_flags(&self) -> bool {
        match self {
            Condition::All(list) | Condition::Any(list) => list.iter().any(Condition::needs_flags),
            Condition::Not(inner) => inner.needs_flags(),
            Condition::Flag(column) => column.needs_flags(),
            _ => false,
        }
    }

    /// True when only package-level columns decide the condition (the id, total downloads).
    fn is_package_level(&self) -> bool {
        match self {
            Condition::True | Condition::IdIn(_) => true,
            Condition::All(list) | Condition::Any(list) => list.iter().all(Condition::is_package_level),
            Condition::Not(inner) => inner.is_package_level(),
            Condition::Text { column, .. } | Condition::IsNull(column) => *column == TextColumn::Id,
            Condition::Int { column, .. } => *column == IntColumn::DownloadCount,
            _ => false,
        }
    }

    /// The package-level parts of the condition's top-level conjunction.
    pub(super) fn package_conjuncts(&self) -> Vec<&Condition> {
        match self {
            Condition::All(list) => list.iter().flat_map(Condition::package_conjuncts).collect(),
            c if c.is_package_level() => vec![c],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKey {
    Id,
    Version,
    DownloadCount,
    VersionDownloadCount,
    Published,
    Created,
    LastUpdated,
    Title,
    PackageSize,
    /// Full-text relevance: an exact id match first, then bm25 (ascending is best first).
    Relevance {
        exact_id_lower: String,
    },
}

/// A statement being built: its engine and its bound arguments (`?N` in the text).
pub(super) struct Builder {
    pub(super) engine: Engine,
    pub(super) args: Vec<Value>,
}

impl Builder {
    pub(super) fn new(engine: Engine) -> Self {
        Self { engine, args: Vec::new() }
    }

    pub(super) fn arg(&mut self, value: impl Into<Value>) -> String {
        self.args.push(value.into());
        format!("?{}", self.args.len())
    }

    /// A text argument whose type PostgreSQL cannot infer from its use (`length(?N)`).
    fn text_arg(&mut self, value: &str) -> String {
        format!("CAST({} AS TEXT)", self.arg(value))
    }

    /// `expr` compared byte by byte, as SQLite's BINARY collation does: on PostgreSQL the "C"
    /// collation, whatever the database's locale (which would otherwise order `a.b` after `ab`
    /// and make `lower()` fold non-ASCII letters, which SQLite's does not).
    fn text(&self, expr: &str) -> String {
        match self.engine {
            Engine::Sqlite => expr.to_owned(),
            Engine::Postgres => format!("({expr}) COLLATE \"C\""),
        }
    }

    pub(super) fn condition(&mut self, c: &Condition) -> String {
        match c {
            // Comparisons, not bare 1 / 0: PostgreSQL's AND and OR take only booleans.
            Condition::True => "1 = 1".into(),
            Condition::All(list) if list.is_empty() => "1 = 1".into(),
            Condition::Any(list) if list.is_empty() => "1 = 0".into(),
            Condition::All(list) => {
                format!("({})", list.iter().map(|c| self.condition(c)).collect::<Vec<_>>().join(" AND "))
            }
            Condition::Any(list) => {
                format!("({})", list.iter().map(|c| self.condition(c)).collect::<Vec<_>>().join(" OR "))
            }
            Condition::Not(inner) => format!("NOT ({})", self.condition(inner)),
            Condition::Flag(column) => format!("({} = 1)", column.sql()),
            Condition::IsNull(column) => format!("({} IS NULL)", column.sql()),
            Condition::VersionIs(version) => {
                format!("(v.version_lower = {})", self.arg(version.clone()))
            }
            Condition::IdIn(ids) if ids.is_empty() => "1 = 0".into(),
            Condition::IdIn(ids) => {
                let list: Vec<String> = ids.iter().map(|id| self.arg(id.clone())).collect();
                format!("(p.id_lower IN ({}))", list.join(", "))
            }
            Condition::Int { column, op, value } => {
                let column = match column {
                    IntColumn::DownloadCount => "p.total_downloads",
                    IntColumn::VersionDownloadCount => "v.downloads",
                    IntColumn::PackageSize => "v.size",
                };
                let op = match op {
                    IntOp::Eq => "=",
                    IntOp::Ne => "!=",
                    IntOp::Gt => ">",
                    IntOp::Ge => ">=",
                    IntOp::Lt => "<",
                    IntOp::Le => "<=",
                };
                format!("({column} {op} {})", self.arg(*value))
            }
            Condition::Text { column, case, op, value } => {
                let column = match case {
                    // Ids are ASCII and stored lowercased too: the indexed column.
                    Case::Lower if *column == TextColumn::Id => "p.id_lower".to_owned(),
                    Case::AsIs => column.sql().to_owned(),
                    // ASCII folding on both engines (see `text`), as ids are folded.
                    Case::Lower => format!("lower({})", self.text(column.sql())),
                    Case::Upper => format!("upper({})", self.text(column.sql())),
                };
                // No LIKE: PostgreSQL's is case-sensitive where SQLite's is not, and `%` / `_`
                // in the value would be wildcards. instr() (strpos() on PostgreSQL) compares exactly.
                let value = self.text_arg(value);
                match op {
                    TextOp::Eq => format!("({column} = {value})"),
                    // OData: null ne 'x' is true.
                    TextOp::Ne => format!("({column} IS DISTINCT FROM {value})"),
                    TextOp::Contains => format!("(instr({column}, {value}) > 0)"),
                    TextOp::StartsWith => format!("(instr({column}, {value}) = 1)"),
                    // The tail of the column from its own length: a negative start (SQLite's
                    // "from the right") means something else on PostgreSQL.
                    TextOp::EndsWith => format!(
                        "(length({column}) >= length({value}) AND substr({column}, length({column}) - length({value}) + 1) = {value})"
                    ),
                }
            }
        }
    }

    /// The ORDER BY terms. Nulls sort first ascending and last descending, SQLite's default,
    /// said explicitly for PostgreSQL, whose default is the reverse.
    pub(super) fn order(&mut self, order: &[(OrderKey, bool)], fts: bool) -> String {
        let mut terms: Vec<String> = Vec::new();
        for (key, descending) in order {
            let dir = if *descending { " DESC NULLS LAST" } else { " NULLS FIRST" };
            let expr = match key {
                OrderKey::Id => self.text("p.id_lower"),
                OrderKey::Version => format!("{VERSION_KEY}(v.version_full)"),
                OrderKey::DownloadCount => "p.total_downloads".to_owned(),
                OrderKey::VersionDownloadCount => "v.downloads".to_owned(),
                // Unlisted versions show (and so sort as) nuget.org's 1900-01-01.
                OrderKey::Published => self.text("CASE WHEN v.listed = 1 THEN v.published_at ELSE '1900-01-01' END"),
                OrderKey::Created => self.text("v.created_at"),
                OrderKey::LastUpdated => self.text("v.last_edited_at"),
                OrderKey::Title => format!("lower({})", self.text("coalesce(v.title, p.package_id)")),
                OrderKey::PackageSize => "v.size".to_owned(),
                OrderKey::Relevance { exact_id_lower } => {
                    if fts {
                        terms.push(format!("(p.id_lower = {}) DESC", self.arg(exact_id_lower.clone())));
                        terms.push("s.rank".to_owned());
                    }
                    terms.push("p.total_downloads DESC".to_owned());
                    continue;
                }
            };
            terms.push(format!("{expr}{dir}"));
        }
        // A total order, so pages never overlap or skip rows.
        terms.extend([self.text("p.id_lower"), format!("{VERSION_KEY}(v.version_full)"), "v.id".to_owned()]);
        terms.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_level_conjuncts_are_found_through_nested_ands() {
        let id = Condition::Text { column: TextColumn::Id, case: Case::Lower, op: TextOp::Eq, value: "a".into() };
        let latest = Condition::Flag(BoolColumn::IsLatestVersion);
        let c = Condition::All(vec![
            Condition::All(vec![id.clone(), latest.clone()]),
            Condition::Any(vec![Condition::IdIn(vec!["b".into()]), latest.clone()]),
            Condition::Int { column: IntColumn::DownloadCount, op: IntOp::Gt, value: 1 },
        ]);
        assert_eq!(
            c.package_conjuncts(),
            vec![&id, &Condition::Int { column: IntColumn::DownloadCount, op: IntOp::Gt, value: 1 }]
        );
        assert!(c.needs_flags());
        assert!(latest.package_conjuncts().is_empty());
    }
}
