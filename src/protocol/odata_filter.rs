//! A parser for the OData v2 `$filter` language, as far as NuGet clients use it: `and`, `or`,
//! `not`, parentheses, the comparison operators, function calls (`tolower(Id)`,
//! `substringof('x',tolower(Id))`), property names and string/integer/boolean/null literals.
//! The result is a syntax tree; what each property and function means (and which are supported)
//! is decided by the feed service, which answers 400 for the rest.
//!
//! Precedence follows the OData v2 URI conventions: `not` binds tightest, then comparisons, then
//! `and`, then `or`.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    /// A function call; the name is as written.
    Call(String, Vec<Expr>),
    /// A property name as written.
    Member(String),
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// Why a `$filter` could not be read; the text is the whole sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ARITHMETIC: [&str; 5] = ["add", "sub", "mul", "div", "mod"];
const MAX_DEPTH: usize = 64;
/// `and`/`or` chains build a tree as deep as they are long, which the nesting cap does not see:
/// SQLite refuses expressions deeper than 1,000 (a 500), and evaluating one recurses. OData
/// servers cap a `$filter` the same way (ASP.NET Web API's `MaxNodeCount`, 100 by default).
const MAX_OPERATORS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Str(String),
    Int(i64),
    Open,
    Close,
    Comma,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => write!(f, "'{w}'"),
            Token::Str(s) => write!(f, "string '{s}'"),
            Token::Int(n) => write!(f, "number {n}"),
            Token::Open => f.write_str("'('"),
            Token::Close => f.write_str("')'"),
            Token::Comma => f.write_str("','"),
        }
    }
}

fn invalid(detail: impl fmt::Display) -> FilterError {
    FilterError(format!("The $filter expression is not valid: {detail}."))
}

/// Splits the expression into tokens, each with its character position.
fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => tokens.push((start, Token::Open)),
            ')' => tokens.push((start, Token::Close)),
            ',' => tokens.push((start, Token::Comma)),
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(invalid(format_args!("the string starting at position {start} is not closed")))
                        }
                        // OData doubles a quote inside a string literal.
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => break,
                        Some(&ch) => {
                            text.push(ch);
                            i += 1;
                        }
                    }
                }
                tokens.push((start, Token::Str(text)));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                if chars.get(i).is_some_and(|ch| matches!(ch, 'L' | 'l')) {
                    i += 1;
                }
                if chars.get(i).is_some_and(|ch| ch.is_alphanumeric() || *ch == '.') {
                    return Err(FilterError(format!(
                        "The $filter number at position {start} is not supported: only whole numbers are."
                    )));
                }
                let n =
                    text.parse().map_err(|_| invalid(format_args!("the number at position {start} is too large")))?;
                tokens.push((start, Token::Int(n)));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while chars.get(i).is_some_and(|ch| ch.is_ascii_alphanumeric() || *ch == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'\'') {
                    // datetime'…', guid'…', binary'…' and the like.
                    return Err(FilterError(format!(
                        "The $filter literal type '{word}' (at position {start}) is not supported."
                    )));
                }
                tokens.push((start, Token::Word(word)));
                continue;
            }
            other => return Err(invalid(format_args!("unexpected character '{other}' at position {start}"))),
        }
        i += 1;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    depth: usize,
    operators: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).map(|(_, t)| t.clone());
        self.next += 1;
        token
    }

    fn expect(&mut self, token: &Token) -> Result<(), FilterError> {
        let position = self.position();
        match self.bump() {
            Some(t) if &t == token => Ok(()),
            Some(t) => Err(invalid(format_args!("expected {token} at position {position}, found {t}"))),
            None => Err(invalid(format_args!("expected {token} at the end"))),
        }
    }

    /// Counts one `and`/`or` against [`MAX_OPERATORS`].
    fn operator(&mut self) -> Result<(), FilterError> {
        self.bump();
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(invalid(format_args!("it joins more than {MAX_OPERATORS} conditions with 'and' or 'or'")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid("it is nested too deeply"));
        }
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.operator()?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.comparison()?;
        while self.peek_word("and") {
            self.operator()?;
            left = Expr::And(Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let left = self.unary()?;
        let Some(Token::Word(word)) = self.peek().cloned() else {
            return Ok(left);
        };
        if let Some(op) = CompareOp::parse(&word) {
            self.bump();
            let right = self.unary()?;
            return Ok(Expr::Compare(Box::new(left), op, Box::new(right)));
        }
        if ARITHMETIC.iter().any(|a| a.eq_ignore_ascii_case(&word)) {
            return Err(FilterError(format!("The $filter operator '{word}' is not supported.")));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.peek_word("not") {
            self.bump();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(invalid("it is nested too deeply"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let position = self.position();
        match self.bump() {
            None => Err(invalid("it ends where a value was expected")),
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Str(s)) => Ok(Expr::Str(s)),
            Some(Token::Int(n)) => Ok(Expr::Int(n)),
            Some(Token::Word(word)) => {
                let lower = word.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Expr::Bool(true)),
                    "false" => return Ok(Expr::Bool(false)),
                    "null" => return Ok(Expr::Null),
                    "and" | "or" | "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                        return Err(invalid(format_args!("expected a value at position {position}, found '{word}'")))
                    }
                    _ => {}
                }
                if self.peek() != Some(&Token::Open) {
                    return Ok(Expr::Member(word));
                }
                self.bump();
                let mut args = Vec::new();
                if self.peek() == Some(&Token::Close) {
                    self.bump();
                    return Ok(Expr::Call(word, args));
                }
                loop {
                    args.push(self.or()?);
                    let position = self.position();
                    match self.bump() {
                        Some(Token::Comma) => {}
                        Some(Token::Close) => break,
                        Some(t) => {
                            return Err(invalid(format_args!("expected ',' or ')' at position {position}, found {t}")))
                        }
                        None => return Err(invalid(format_args!("the call of '{word}' is not closed"))),
                    }
                }
                Ok(Expr::Call(word, args))
            }
            Some(t) => Err(invalid(format_args!("expected a value at position {position}, found {t}"))),
        }
    }
}

/// Parses a `$filter` value (already URL-decoded).
pub fn parse(input: &str) -> Result<Expr, FilterError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(invalid("it is empty"));
    }
    let mut parser = Parser { tokens, next: 0, end: input.chars().count(), depth: 0, operators: 0 };
    let expr = parser.or()?;
    if let Some((position, token)) = parser.tokens.get(parser.next) {
        return Err(invalid(format_args!("unexpected {token} at position {position}")));
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_box_returns)] // operands sit in the tree boxed
    fn member(name: &str) -> Box<Expr> {
        Box::new(Expr::Member(name.into()))
    }

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(name.into(), args)
    }

    #[allow(clippy::unnecessary_box_returns)] // operands sit in the tree boxed
    fn s(text: &str) -> Box<Expr> {
        Box::new(Expr::Str(text.into()))
    }

    #[test]
    fn bare_flags_and_combinations() {
        assert_eq!(parse("IsLatestVersion").unwrap(), Expr::Member("IsLatestVersion".into()));
        assert_eq!(
            parse("(tolower(Id) eq 'acme.core') and IsLatestVersion").unwrap(),
            Expr::And(
                Box::new(Expr::Compare(
                    Box::new(call("tolower", vec![Expr::Member("Id".into())])),
                    CompareOp::Eq,
                    s("acme.core")
                )),
                member("IsLatestVersion"),
            )
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tightest() {
        assert_eq!(
            parse("A or B and not C").unwrap(),
            Expr::Or(member("A"), Box::new(Expr::And(member("B"), Box::new(Expr::Not(member("C"))))))
        );
        assert_eq!(
            parse("not IsPrerelease eq true").unwrap(),
            Expr::Compare(Box::new(Expr::Not(member("IsPrerelease"))), CompareOp::Eq, Box::new(Expr::Bool(true)))
        );
    }

    #[test]
    fn what_nuget_2_sends_for_a_search() {
        let input = "((((Id ne null) and substringof('json',tolower(Id))) or ((Description ne null) and substringof('json',tolower(Description)))) or ((Tags ne null) and substringof(' json ',tolower(Tags)))) and IsLatestVersion";
        let Expr::And(search, latest) = parse(input).unwrap() else { panic!("not an and") };
        assert_eq!(*latest, Expr::Member("IsLatestVersion".into()));
        let Expr::Or(_, tags) = *search else { panic!("not an or") };
        assert_eq!(
            *tags,
            Expr::And(
                Box::new(Expr::Compare(member("Tags"), CompareOp::Ne, Box::new(Expr::Null))),
                Box::new(call(
                    "substringof",
                    vec![Expr::Str(" json ".into()), call("tolower", vec![Expr::Member("Tags".into())])]
                )),
            )
        );
    }

    #[test]
    fn literals() {
        assert_eq!(parse("Id eq 'it''s'").unwrap(), Expr::Compare(member("Id"), CompareOp::Eq, s("it's")));
        assert_eq!(
            parse("DownloadCount ge -5L").unwrap(),
            Expr::Compare(member("DownloadCount"), CompareOp::Ge, Box::new(Expr::Int(-5)))
        );
        assert_eq!(
            parse("Listed eq FALSE").unwrap(),
            Expr::Compare(member("Listed"), CompareOp::Eq, Box::new(Expr::Bool(false)))
        );
        assert_eq!(parse("Title eq 'café <&>'").unwrap(), Expr::Compare(member("Title"), CompareOp::Eq, s("café <&>")));
        assert_eq!(parse("f()").unwrap(), call("f", vec![]));
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = |input: &str| parse(input).unwrap_err().0;
        assert_eq!(
            err("Id eq 'abc"),
            "The $filter expression is not valid: the string starting at position 6 is not closed."
        );
        assert_eq!(err("(Id eq 'a'"), "The $filter expression is not valid: expected ')' at the end.");
        assert_eq!(err("Id eq 'a')"), "The $filter expression is not valid: unexpected ')' at position 9.");
        assert_eq!(err("Id eq"), "The $filter expression is not valid: it ends where a value was expected.");
        assert_eq!(
            err("and IsLatestVersion"),
            "The $filter expression is not valid: expected a value at position 0, found 'and'."
        );
        assert_eq!(err("Id eq 'a' 'b'"), "The $filter expression is not valid: unexpected string 'b' at position 10.");
        assert_eq!(err("Id / 2"), "The $filter expression is not valid: unexpected character '/' at position 3.");
        assert_eq!(err("   "), "The $filter expression is not valid: it is empty.");
        assert_eq!(
            err("Published gt datetime'2020-01-01'"),
            "The $filter literal type 'datetime' (at position 13) is not supported."
        );
        assert_eq!(err("DownloadCount add 1 gt 2"), "The $filter operator 'add' is not supported.");
        assert_eq!(
            err("PackageSize gt 1.5"),
            "The $filter number at position 15 is not supported: only whole numbers are."
        );
        assert_eq!(
            err("substringof('a' Id)"),
            "The $filter expression is not valid: expected ',' or ')' at position 16, found 'Id'."
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let input = format!("{}IsLatestVersion{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&input).unwrap_err().0, "The $filter expression is not valid: it is nested too deeply.");
        let input = format!("{}IsLatestVersion", "not ".repeat(10_000));
        assert_eq!(parse(&input).unwrap_err().0, "The $filter expression is not valid: it is nested too deeply.");
    }

    /// Caught by the odata fuzz target (`fuzz/`): 1,100 `Listed` joined by `or` parsed, and SQLite then
    /// refused the query ("Expression tree is too large (maximum depth 1000)"), a 500.
    #[test]
    fn long_and_or_chains_are_refused() {
        let chain = |n: usize, op: &str| vec!["Listed"; n].join(op);
        let refused = "The $filter expression is not valid: it joins more than 100 conditions with 'and' or 'or'.";
        assert_eq!(parse(&chain(1_100, " or ")).unwrap_err().0, refused);
        assert_eq!(parse(&chain(1_100, " and ")).unwrap_err().0, refused);
        assert_eq!(parse(&format!("({}) or ({})", chain(52, " and "), chain(50, " or "))).unwrap_err().0, refused);
        assert!(parse(&chain(101, " or ")).is_ok(), "100 operators are still fine");
    }
}
