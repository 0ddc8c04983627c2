//! `$filter` (Q-FILTER, Q-FILTER-BAD, Q-FILTER-ANY, Q-PROPERTY-CASE): a parser to a
//! typed tree, an evaluator over stored entities, and a canonical printer.
//!
//! Grammar (operators, literals `null`/`true`/`false`, `any`/`all` compare
//! ASCII-case-insensitively):
//!
//! ```text
//! or     := and ("or" and)*
//! and    := unary ("and" unary)*
//! unary  := "not" unary | "(" or ")" | lambda | term cmp term
//! lambda := Collection "/" ("any" | "all") "(" [var ":" or] ")"
//! term   := literal | path | var ["/" Member]
//! path   := Property ("/" Member)*
//! cmp    := "eq" | "ne" | "gt" | "ge" | "lt" | "le"
//! ```
//!
//! Literals must fit the property's type, or the filter is
//! `ErrorInvalidUrlQueryFilter`: strings and enums take `'…'`; `CreatedDateTime`,
//! `LastModifiedDateTime` and `Birthday` take unquoted DateTimeOffsets;
//! `WeddingAnniversary` takes unquoted Dates; `Flag/…/DateTime` takes a quoted
//! wall time or an unquoted DateTimeOffset (read in UTC, the zone flags are stored
//! in); every property takes `null`. Numbers and booleans fit no property. Dates
//! must lie in the years 1 to 9999.
//!
//! Nesting of parentheses, `not` and lambdas is bounded by [`MAX_DEPTH`], a lambda
//! may not contain another lambda (evaluation would be exponential), and
//! `and`/`or` chains are flat lists, so no input can overflow the stack.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::{Map, Value};

use super::datetime::{format_instant, format_wall, parse_date, parse_instant, parse_wall};
use super::path::{Key, PropPath, ValueType, fold};
use super::{EntityKind, ParseError};

/// The deepest nesting of parentheses, `not` and lambdas a filter may have.
pub const MAX_DEPTH: usize = 100;

/// How values compare while matching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// Compare strings case-sensitively (wrong; exists so a fault can be injected).
    pub case_sensitive_strings: bool,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CmpOp {
    fn parse(s: &str) -> Option<CmpOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    /// The operator with its operands swapped (`a lt b` = `b gt a`).
    fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            op => op,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }
}

/// A literal, already checked against the type of the property it is compared with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `null`
    Null,
    /// A single-quoted string.
    String(String),
    /// An unquoted DateTimeOffset, in UTC.
    Instant(DateTime<Utc>),
    /// An unquoted Date.
    Date(NaiveDate),
    /// A wall-clock time for `Flag/…/DateTime` (a quoted string, or a
    /// DateTimeOffset converted to UTC).
    Wall(NaiveDateTime),
}

impl Literal {
    fn key(&self, case_sensitive: bool) -> Key {
        match self {
            Literal::Null => Key::Null,
            Literal::String(s) => Key::Str(fold(s, case_sensitive)),
            Literal::Instant(t) => Key::Instant(*t),
            Literal::Date(d) => Key::Date(*d),
            Literal::Wall(w) => Key::Wall(*w),
        }
    }
}

/// The property side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A property path of the entity.
    Property(PropPath),
    /// The variable of an enclosing lambda, or one of its members.
    Member {
        /// The lambda variable.
        var: String,
        /// The member (`Address`), or `None` for the item itself (`Children`).
        member: Option<&'static str>,
        /// The type of the value it names.
        ty: ValueType,
    },
}

impl Operand {
    fn ty(&self) -> ValueType {
        match self {
            Operand::Property(p) => p.ty,
            Operand::Member { ty, .. } => *ty,
        }
    }
}

/// `any` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// Some item satisfies the body (or, without a body, the collection is non-empty).
    Any,
    /// Every item satisfies the body.
    All,
}

/// A parsed `$filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every item holds (two or more).
    And(Vec<Filter>),
    /// Some item holds (two or more).
    Or(Vec<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// `operand op literal`.
    Compare {
        /// The property side.
        operand: Operand,
        /// The operator, as if the property were on the left.
        op: CmpOp,
        /// The literal side.
        literal: Literal,
    },
    /// `Collection/any(var: body)` or `Collection/all(var: body)`.
    Lambda {
        /// `any` or `all`.
        quantifier: Quantifier,
        /// The collection property (canonical name).
        collection: &'static str,
        /// The variable and body; `None` only for `any()`.
        body: Option<(String, Box<Filter>)>,
    },
}

/// The members of a lambda collection's items, with their types.
type ItemMembers = &'static [(&'static str, ValueType)];

/// The collection properties that may be filtered through a lambda, with the
/// members of their items (`None`: the item is a string).
fn lambda_collection(name: &str, kind: EntityKind) -> Option<(&'static str, Option<ItemMembers>)> {
    const EMAIL: &[(&str, ValueType)] =
        &[("Name", ValueType::String), ("Address", ValueType::String)];
    const PHONE: &[(&str, ValueType)] = &[("Number", ValueType::String), ("Type", ValueType::Enum)];
    if kind != EntityKind::Contact {
        return None;
    }
    [
        ("EmailAddresses", Some(EMAIL)),
        ("Phones", Some(PHONE)),
        ("Children", None),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(name))
}

// ---------------------------------------------------------------- lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Colon,
    Slash,
    Ident(String),
    Str(String),
    /// An unquoted literal starting with a digit or `-`: number, date, date-time.
    Word(String),
}

fn lex(s: &str) -> Result<Vec<Tok>, ParseError> {
    let mut toks = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
            }
            '(' | ')' | ',' | ':' | '/' => {
                chars.next();
                toks.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    ':' => Tok::Colon,
                    _ => Tok::Slash,
                });
            }
            '\'' => {
                chars.next();
                let mut out = String::new();
                loop {
                    match chars.next() {
                        None => return Err(ParseError::filter("unterminated string literal")),
                        Some((_, '\'')) => {
                            if chars.peek().map(|p| p.1) == Some('\'') {
                                chars.next();
                                out.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => out.push(ch),
                    }
                }
                toks.push(Tok::Str(out));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = i;
                while let Some(&(j, ch)) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        end = j + ch.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                toks.push(Tok::Ident(s[i..end].to_owned()));
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                let mut end = i;
                while let Some(&(j, ch)) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '.' | ':' | '+' | '-') {
                        end = j + ch.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                toks.push(Tok::Word(s[i..end].to_owned()));
            }
            other => {
                return Err(ParseError::filter(format!(
                    "unexpected character '{other}'"
                )));
            }
        }
    }
    Ok(toks)
}

// ---------------------------------------------------------------- parser

/// A literal as written, before it is checked against a property type.
#[derive(Clone, Debug)]
enum RawLit {
    Null,
    Bool,
    Number,
    Str(String),
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

impl RawLit {
    fn describe(&self) -> &'static str {
        match self {
            RawLit::Null => "null",
            RawLit::Bool => "a boolean",
            RawLit::Number => "a number",
            RawLit::Str(_) => "a string",
            RawLit::Instant(_) => "a DateTimeOffset",
            RawLit::Date(_) => "a Date",
        }
    }
}

fn classify_word(w: &str) -> Result<RawLit, ParseError> {
    if let Some(d) = parse_date(w) {
        if d.year() < 1 {
            return Err(ParseError::filter(format!("Date out of range: {w}")));
        }
        return Ok(RawLit::Date(d));
    }
    if let Some(t) = parse_instant(w) {
        if !(1..=9999).contains(&t.year()) {
            return Err(ParseError::filter(format!(
                "DateTimeOffset out of range: {w}"
            )));
        }
        return Ok(RawLit::Instant(t));
    }
    if is_number(w) {
        return Ok(RawLit::Number);
    }
    Err(ParseError::filter(format!("'{w}' is not a literal")))
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` with an optional type suffix.
fn is_number(w: &str) -> bool {
    let w = w
        .strip_suffix(['L', 'l', 'M', 'm', 'D', 'd', 'F', 'f'])
        .unwrap_or(w);
    let w = w.strip_prefix(['+', '-']).unwrap_or(w);
    let (mantissa, exp) = match w.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (w, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => all_digits(a) && all_digits(b),
        None => all_digits(mantissa),
    };
    mantissa_ok && exp.is_none_or(all_digits)
}

/// One side of a comparison, before typing.
enum Term {
    Lit(RawLit),
    Operand(Operand),
}

struct Scope {
    var: String,
    members: Option<ItemMembers>,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    kind: EntityKind,
    scopes: Vec<Scope>,
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), ParseError> {
        match self.next() {
            Some(ref t) if t == want => Ok(()),
            Some(t) => Err(ParseError::filter(format!("expected {what}, found {t:?}"))),
            None => Err(ParseError::filter(format!("expected {what} at the end"))),
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut items = vec![self.and(depth)?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut items = vec![self.unary(depth)?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            items.push(self.unary(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Filter::And(items)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::filter(format!(
                "filter nested deeper than {MAX_DEPTH}"
            )));
        }
        if is_kw(self.peek(), "not") && self.peek_at(1) != Some(&Tok::Slash) {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.or(depth + 1)?;
            self.expect(&Tok::RParen, "')'")?;
            return Ok(inner);
        }
        let left = match self.term(depth)? {
            Ok(term) => term,
            Err(lambda) => return Ok(lambda),
        };
        let op = match self.next() {
            Some(Tok::Ident(s)) => CmpOp::parse(&s)
                .ok_or_else(|| ParseError::filter(format!("'{s}' is not a comparison operator")))?,
            Some(t) => {
                return Err(ParseError::filter(format!(
                    "expected an operator, found {t:?}"
                )));
            }
            None => return Err(ParseError::filter("expected an operator at the end")),
        };
        let right = match self.term(depth)? {
            Ok(term) => term,
            Err(_) => return Err(ParseError::filter("a lambda cannot be compared")),
        };
        match (left, right) {
            (Term::Operand(operand), Term::Lit(lit)) => compare(operand, op, lit),
            (Term::Lit(lit), Term::Operand(operand)) => compare(operand, op.flipped(), lit),
            (Term::Lit(_), Term::Lit(_)) => Err(ParseError::filter(
                "a comparison needs a property on one side",
            )),
            (Term::Operand(_), Term::Operand(_)) => Err(ParseError::filter(
                "comparing two properties is not supported",
            )),
        }
    }

    /// A term, or (as `Err`) a complete lambda filter.
    fn term(&mut self, depth: usize) -> Result<Result<Term, Filter>, ParseError> {
        let first = match self.next() {
            Some(Tok::Str(s)) => return Ok(Ok(Term::Lit(RawLit::Str(s)))),
            Some(Tok::Word(w)) => return Ok(Ok(Term::Lit(classify_word(&w)?))),
            Some(Tok::Ident(id)) => id,
            Some(t) => return Err(ParseError::filter(format!("unexpected {t:?}"))),
            None => return Err(ParseError::filter("unexpected end of filter")),
        };
        if self.peek() == Some(&Tok::LParen) {
            return Err(ParseError::filter(format!(
                "function '{first}' is not supported"
            )));
        }
        if self.peek() != Some(&Tok::Slash) {
            match first.to_ascii_lowercase().as_str() {
                "null" => return Ok(Ok(Term::Lit(RawLit::Null))),
                "true" | "false" => return Ok(Ok(Term::Lit(RawLit::Bool))),
                _ => {}
            }
        }
        let mut segments = vec![first];
        while self.peek() == Some(&Tok::Slash) {
            self.pos += 1;
            let Some(Tok::Ident(seg)) = self.next() else {
                return Err(ParseError::filter("expected a name after '/'"));
            };
            if self.peek() == Some(&Tok::LParen) {
                let quantifier = if seg.eq_ignore_ascii_case("any") {
                    Quantifier::Any
                } else if seg.eq_ignore_ascii_case("all") {
                    Quantifier::All
                } else {
                    return Err(ParseError::filter(format!(
                        "function '{seg}' is not supported"
                    )));
                };
                return self.lambda(&segments, quantifier, depth).map(Err);
            }
            segments.push(seg);
        }
        // A lambda variable in scope (innermost first)?
        if let Some(scope) = self.scopes.iter().rev().find(|s| s.var == segments[0]) {
            return member_operand(scope, &segments).map(|o| Ok(Term::Operand(o)));
        }
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        if refs.len() == 1 && lambda_collection(refs[0], self.kind).is_some() {
            return Err(ParseError::property(format!(
                "'{}' can only be filtered with any",
                refs[0]
            )));
        }
        Ok(Ok(Term::Operand(Operand::Property(PropPath::resolve(
            &refs, self.kind,
        )?))))
    }

    fn lambda(
        &mut self,
        segments: &[String],
        quantifier: Quantifier,
        depth: usize,
    ) -> Result<Filter, ParseError> {
        let name = segments.join("/");
        let (collection, members) = match segments {
            [one] => match lambda_collection(one, self.kind) {
                Some(c) => c,
                None => {
                    return Err(ParseError::property(format!(
                        "'{name}' is not a collection that can be filtered with any/all"
                    )));
                }
            },
            _ => {
                return Err(ParseError::property(format!(
                    "'{name}' is not a collection that can be filtered with any/all"
                )));
            }
        };
        // A lambda inside a lambda would cost the product of the collections'
        // sizes per entity (exponential in the nesting); SPEC.md needs none.
        if !self.scopes.is_empty() {
            return Err(ParseError::filter(
                "a lambda inside another lambda is not supported",
            ));
        }
        if depth + 1 > MAX_DEPTH {
            return Err(ParseError::filter(format!(
                "filter nested deeper than {MAX_DEPTH}"
            )));
        }
        self.expect(&Tok::LParen, "'('")?;
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
            return match quantifier {
                Quantifier::Any => Ok(Filter::Lambda {
                    quantifier,
                    collection,
                    body: None,
                }),
                Quantifier::All => Err(ParseError::filter("all() needs a lambda expression")),
            };
        }
        let var = match self.next() {
            Some(Tok::Ident(v))
                if !["null", "true", "false"]
                    .iter()
                    .any(|k| v.eq_ignore_ascii_case(k)) =>
            {
                v
            }
            _ => return Err(ParseError::filter("expected a lambda variable")),
        };
        self.expect(&Tok::Colon, "':'")?;
        self.scopes.push(Scope {
            var: var.clone(),
            members,
        });
        let body = self.or(depth + 1);
        self.scopes.pop();
        let body = body?;
        self.expect(&Tok::RParen, "')'")?;
        Ok(Filter::Lambda {
            quantifier,
            collection,
            body: Some((var, Box::new(body))),
        })
    }
}

fn member_operand(scope: &Scope, segments: &[String]) -> Result<Operand, ParseError> {
    let var = scope.var.clone();
    match (scope.members, segments) {
        (None, [_]) => Ok(Operand::Member {
            var,
            member: None,
            ty: ValueType::String,
        }),
        (Some(_), [_]) => Err(ParseError::filter(format!(
            "'{var}' is a complex value; compare one of its members"
        ))),
        (Some(members), [_, m]) => members
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(m))
            .map(|&(n, ty)| Operand::Member {
                var: var.clone(),
                member: Some(n),
                ty,
            })
            .ok_or_else(|| ParseError::property(format!("'{var}' has no member '{m}'"))),
        _ => Err(ParseError::property(format!(
            "'{}' names no member",
            segments.join("/")
        ))),
    }
}

/// Checks a literal against the operand's type (Q-FILTER: a literal of the wrong
/// type → `ErrorInvalidUrlQueryFilter`).
fn compare(operand: Operand, op: CmpOp, lit: RawLit) -> Result<Filter, ParseError> {
    let ty = operand.ty();
    let literal = match (ty, lit) {
        (_, RawLit::Null) => Literal::Null,
        (ValueType::String | ValueType::Enum, RawLit::Str(s)) => Literal::String(s),
        (ValueType::DateTimeOffset, RawLit::Instant(t)) => Literal::Instant(t),
        (ValueType::Date, RawLit::Date(d)) => Literal::Date(d),
        (ValueType::Wall, RawLit::Str(s)) => match parse_wall(&s) {
            Some(w) => Literal::Wall(w),
            None => return Err(ParseError::filter(format!("'{s}' is not a date-time"))),
        },
        // Wall times have 100 ns ticks (7 fractional digits); drop finer digits.
        (ValueType::Wall, RawLit::Instant(t)) => {
            let w = t.naive_utc();
            Literal::Wall(w.with_nanosecond(w.nanosecond() / 100 * 100).unwrap_or(w))
        }
        (ty, lit) => {
            return Err(ParseError::filter(format!(
                "{} cannot be compared with a value of type {ty:?}",
                lit.describe()
            )));
        }
    };
    Ok(Filter::Compare {
        operand,
        op,
        literal,
    })
}

/// Parses a `$filter` value for an entity type.
///
/// Errors: a property that does not exist or is not filterable →
/// `ErrorInvalidProperty`; functions (`contains`, …), syntax errors, literals of the
/// wrong type and nesting deeper than [`MAX_DEPTH`] → `ErrorInvalidUrlQueryFilter`.
pub fn parse_filter(s: &str, kind: EntityKind) -> Result<Filter, ParseError> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err(ParseError::filter("empty $filter"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        kind,
        scopes: Vec::new(),
    };
    let f = p.or(0)?;
    if let Some(t) = p.peek() {
        return Err(ParseError::filter(format!(
            "unexpected {t:?} after the filter"
        )));
    }
    Ok(f)
}

// ---------------------------------------------------------------- evaluation

type Env<'a> = Vec<(&'a str, &'a Value)>;

fn holds(op: CmpOp, a: &Key, b: &Key) -> bool {
    let nulls = (matches!(a, Key::Null), matches!(b, Key::Null));
    let eq = match nulls {
        (true, true) => true,
        (false, false) => a.cmp_key(b) == Ordering::Equal,
        _ => false,
    };
    match op {
        CmpOp::Eq => eq,
        CmpOp::Ne => !eq,
        _ if nulls.0 || nulls.1 => nulls.0 && nulls.1 && matches!(op, CmpOp::Ge | CmpOp::Le),
        CmpOp::Gt => a.cmp_key(b) == Ordering::Greater,
        CmpOp::Ge => a.cmp_key(b) != Ordering::Less,
        CmpOp::Lt => a.cmp_key(b) == Ordering::Less,
        CmpOp::Le => a.cmp_key(b) != Ordering::Greater,
    }
}

impl Filter {
    /// Whether a stored entity satisfies the filter (strings case-insensitively).
    pub fn matches(&self, entity: &Map<String, Value>) -> bool {
        self.matches_with(entity, MatchOptions::default())
    }

    /// Whether a stored entity satisfies the filter, with explicit options.
    pub fn matches_with(&self, entity: &Map<String, Value>, opts: MatchOptions) -> bool {
        self.eval(entity, &mut Vec::new(), opts)
    }

    fn eval<'a>(
        &'a self,
        entity: &'a Map<String, Value>,
        env: &mut Env<'a>,
        opts: MatchOptions,
    ) -> bool {
        let cs = opts.case_sensitive_strings;
        match self {
            Filter::And(items) => items.iter().all(|f| f.eval(entity, env, opts)),
            Filter::Or(items) => items.iter().any(|f| f.eval(entity, env, opts)),
            Filter::Not(inner) => !inner.eval(entity, env, opts),
            Filter::Compare {
                operand,
                op,
                literal,
            } => {
                let key = match operand {
                    Operand::Property(path) => path.key(entity, cs),
                    Operand::Member { var, member, ty } => {
                        let item = env
                            .iter()
                            .rev()
                            .find(|(v, _)| v == var)
                            .map(|(_, item)| *item);
                        let value = match member {
                            Some(m) => item.and_then(|i| i.as_object()).and_then(|o| o.get(*m)),
                            None => item,
                        };
                        Key::of(*ty, value, cs)
                    }
                };
                holds(*op, &key, &literal.key(cs))
            }
            Filter::Lambda {
                quantifier,
                collection,
                body,
            } => {
                let items: &[Value] = entity
                    .get(*collection)
                    .and_then(Value::as_array)
                    .map_or(&[], Vec::as_slice);
                let Some((var, body)) = body else {
                    return !items.is_empty();
                };
                let mut test = |item: &'a Value| {
                    env.push((var.as_str(), item));
                    let r = body.eval(entity, env, opts);
                    env.pop();
                    r
                };
                match quantifier {
                    Quantifier::Any => items.iter().any(&mut test),
                    Quantifier::All => items.iter().all(&mut test),
                }
            }
        }
    }
}

// ---------------------------------------------------------------- printing

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Literal::Instant(t) => f.write_str(&format_instant(*t)),
            Literal::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Literal::Wall(w) => write!(f, "'{}'", format_wall(*w)),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Property(p) => write!(f, "{p}"),
            Operand::Member {
                var,
                member: Some(m),
                ..
            } => write!(f, "{var}/{m}"),
            Operand::Member {
                var, member: None, ..
            } => f.write_str(var),
        }
    }
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Filter], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        match item {
            Filter::And(_) | Filter::Or(_) => write!(f, "({item})")?,
            _ => write!(f, "{item}")?,
        }
    }
    Ok(())
}

/// Prints the canonical form: canonical property names, lowercase operators,
/// every nested `and`/`or` group parenthesised. Parsing it gives the same tree.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(items) => write_items(f, items, " and "),
            Filter::Or(items) => write_items(f, items, " or "),
            Filter::Not(inner) => match **inner {
                Filter::And(_) | Filter::Or(_) => write!(f, "not ({inner})"),
                _ => write!(f, "not {inner}"),
            },
            Filter::Compare {
                operand,
                op,
                literal,
            } => {
                write!(f, "{operand} {} {literal}", op.as_str())
            }
            Filter::Lambda {
                quantifier,
                collection,
                body,
            } => {
                let q = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                match body {
                    None => write!(f, "{collection}/{q}()"),
                    Some((var, body)) => write!(f, "{collection}/{q}({var}:{body})"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for ok in ["5", "-5", "+5", "1.5", "1e10", "1.5E-3", "5L", "2.0m"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".5", "1e", "1x", "--1", "1.2.3"] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn lexer() {
        assert_eq!(
            lex("a/b eq 'it''s' (-1)").unwrap(),
            vec![
                Tok::Ident("a".into()),
                Tok::Slash,
                Tok::Ident("b".into()),
                Tok::Ident("eq".into()),
                Tok::Str("it's".into()),
                Tok::LParen,
                Tok::Word("-1".into()),
                Tok::RParen,
            ]
        );
        assert!(lex("'open").is_err());
        assert!(lex("a ; b").is_err());
    }

    #[test]
    fn literal_years() {
        assert!(classify_word("0000-01-01").is_err());
        assert!(classify_word("0001-01-01T00:00:00+01:00").is_err());
        assert!(classify_word("9999-12-31T23:00:00-02:00").is_err());
        assert!(classify_word("0001-01-01").is_ok());
    }
}
