//! The sandbox's reading of QuickBooks' query language (spec §3.2): `SELECT * | COUNT(*) FROM
//! <Entity> [WHERE cond AND …] [ORDERBY field [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]`,
//! conditions `field (= | != | < | <= | > | >= | LIKE) 'value'` and `field IN ('a', 'b')`,
//! string literals in single quotes with `\'` and `\\` escapes. Keywords are case-insensitive.

/// A parsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub count: bool,
    pub entity: String,
    pub conditions: Vec<Condition>,
    pub order_by: Option<(String, bool)>,
    pub start_position: usize,
    pub max_results: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub field: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Like,
}

/// Why a statement was refused: QuickBooks' code and wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub code: &'static str,
    pub detail: String,
}

fn parser_error(detail: impl Into<String>) -> QueryError {
    QueryError {
        code: "4000",
        detail: format!("QueryParserError: {}", detail.into()),
    }
}

fn validation_error(detail: impl Into<String>) -> QueryError {
    QueryError {
        code: "4001",
        detail: format!("QueryValidationError: {}", detail.into()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Symbol(&'static str),
}

fn tokens(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        match c {
            '\'' => {
                chars.next();
                let mut value = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some(escaped) => value.push(escaped),
                            None => break,
                        },
                        '\'' => {
                            closed = true;
                            break;
                        }
                        other => value.push(other),
                    }
                }
                if !closed {
                    return Err(parser_error(format!(
                        "Encountered an unterminated string literal starting \"{value}\""
                    )));
                }
                out.push(Token::Text(value));
            }
            '(' | ')' | ',' | '*' => {
                chars.next();
                out.push(Token::Symbol(match c {
                    '(' => "(",
                    ')' => ")",
                    ',' => ",",
                    _ => "*",
                }));
            }
            '=' => {
                chars.next();
                out.push(Token::Symbol("="));
            }
            '!' | '<' | '>' => {
                chars.next();
                let next = chars.peek().copied();
                let symbol = match (c, next) {
                    ('!', Some('=')) | ('<', Some('>')) => {
                        chars.next();
                        "!="
                    }
                    ('<', Some('=')) => {
                        chars.next();
                        "<="
                    }
                    ('>', Some('=')) => {
                        chars.next();
                        ">="
                    }
                    ('<', _) => "<",
                    ('>', _) => ">",
                    _ => return Err(parser_error("Encountered \"!\"")),
                };
                out.push(Token::Symbol(symbol));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "'(),*=!<>".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Cursor {
    tokens: Vec<Token>,
    at: usize,
}

impl Cursor {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        if let Some(Token::Word(w)) = self.peek()
            && w.eq_ignore_ascii_case(word)
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn symbol(&mut self, symbol: &str) -> bool {
        if let Some(Token::Symbol(s)) = self.peek()
            && *s == symbol
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn word(&mut self, what: &str) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Word(w)) => Ok(w),
            other => Err(parser_error(format!("expected {what}, found {other:?}"))),
        }
    }

    fn number(&mut self, what: &str) -> Result<usize, QueryError> {
        let word = self.word(what)?;
        word.parse::<usize>()
            .map_err(|_| parser_error(format!("{what} must be a number, not {word}")))
    }

    fn value(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Text(t)) => Ok(t),
            // Unquoted numbers and booleans (`Active = true`).
            Some(Token::Word(w)) => Ok(w),
            other => Err(parser_error(format!("expected a value, found {other:?}"))),
        }
    }
}

/// Parses one statement.
pub(crate) fn parse(text: &str) -> Result<Statement, QueryError> {
    let mut cursor = Cursor {
        tokens: tokens(text)?,
        at: 0,
    };
    if !cursor.keyword("select") {
        return Err(parser_error("a query starts with SELECT"));
    }
    let mut count = false;
    if cursor.keyword("count") {
        if !(cursor.symbol("(") && cursor.symbol("*") && cursor.symbol(")")) {
            return Err(parser_error("expected COUNT(*)"));
        }
        count = true;
    } else {
        // `*` or a field list: the sandbox returns whole objects either way.
        while let Some(token) = cursor.peek() {
            if matches!(token, Token::Word(w) if w.eq_ignore_ascii_case("from")) {
                break;
            }
            cursor.next();
        }
    }
    if !cursor.keyword("from") {
        return Err(parser_error("expected FROM"));
    }
    let entity = cursor.word("an entity name")?;
    let mut conditions = Vec::new();
    if cursor.keyword("where") {
        loop {
            conditions.push(condition(&mut cursor)?);
            if !cursor.keyword("and") {
                break;
            }
        }
        if cursor.keyword("or") {
            return Err(parser_error("OR is not supported"));
        }
    }
    let mut order_by = None;
    if cursor.keyword("orderby") || (cursor.keyword("order") && cursor.keyword("by")) {
        let field = cursor.word("a field to order by")?;
        let descending = if cursor.keyword("desc") {
            true
        } else {
            cursor.keyword("asc");
            false
        };
        order_by = Some((field, descending));
    }
    let mut start_position = 1;
    let mut max_results = 100;
    loop {
        if cursor.keyword("startposition") {
            start_position = cursor.number("STARTPOSITION")?.max(1);
        } else if cursor.keyword("maxresults") {
            max_results = cursor.number("MAXRESULTS")?;
        } else {
            break;
        }
    }
    if let Some(extra) = cursor.next() {
        return Err(parser_error(format!("Encountered {extra:?} at the end")));
    }
    if max_results > 1000 {
        return Err(validation_error(format!(
            "value {max_results} is too large. Max allowed value is 1000"
        )));
    }
    Ok(Statement {
        count,
        entity,
        conditions,
        order_by,
        start_position,
        max_results,
    })
}

fn condition(cursor: &mut Cursor) -> Result<Condition, QueryError> {
    let field = cursor.word("a field name")?;
    let op = if cursor.keyword("in") {
        Op::In
    } else if cursor.keyword("like") {
        Op::Like
    } else {
        match cursor.next() {
            Some(Token::Symbol("=")) => Op::Eq,
            Some(Token::Symbol("!=")) => Op::Ne,
            Some(Token::Symbol("<")) => Op::Lt,
            Some(Token::Symbol("<=")) => Op::Le,
            Some(Token::Symbol(">")) => Op::Gt,
            Some(Token::Symbol(">=")) => Op::Ge,
            other => {
                return Err(parser_error(format!(
                    "expected an operator, found {other:?}"
                )));
            }
        }
    };
    let mut values = Vec::new();
    if op == Op::In {
        if !cursor.symbol("(") {
            return Err(parser_error("expected ( after IN"));
        }
        loop {
            values.push(cursor.value()?);
            if cursor.symbol(")") {
                break;
            }
            if !cursor.symbol(",") {
                return Err(parser_error("expected , or ) in IN (…)"));
            }
        }
    } else {
        values.push(cursor.value()?);
    }
    Ok(Condition { field, op, values })
}

/// Whether `have` compares to `want` as `op` asks (`LIKE` with `%` wildcards).
pub(crate) fn compare<T: Ord>(have: &T, op: Op, want: &T) -> bool {
    match op {
        Op::Eq | Op::In => have == want,
        Op::Ne => have != want,
        Op::Lt => have < want,
        Op::Le => have <= want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Like => false,
    }
}

/// `LIKE` with `%` wildcards, case-insensitive.
pub(crate) fn like(have: &str, pattern: &str) -> bool {
    let have = have.to_lowercase();
    let pattern = pattern.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return have == pattern;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    let Some(mut rest) = have.strip_prefix(first) else {
        return false;
    };
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paging_statement_parses() {
        let s = parse(
            "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2025-05-01T00:00:00+03:00' \
             ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1001 MAXRESULTS 1000",
        )
        .unwrap();
        assert_eq!(s.entity, "Invoice");
        assert_eq!(s.conditions.len(), 1);
        assert_eq!(s.conditions[0].op, Op::Ge);
        assert_eq!(s.conditions[0].values, vec!["2025-05-01T00:00:00+03:00"]);
        assert_eq!(
            s.order_by,
            Some(("MetaData.LastUpdatedTime".to_owned(), false))
        );
        assert_eq!((s.start_position, s.max_results), (1001, 1000));
    }

    #[test]
    fn escapes_counts_and_errors() {
        let s = parse(r"select * from Customer where DisplayName = 'Mama Njeri\'s Kiosk'").unwrap();
        assert_eq!(s.conditions[0].values, vec!["Mama Njeri's Kiosk"]);
        let s = parse("SELECT COUNT(*) FROM Item WHERE Id IN ('1', '2')").unwrap();
        assert!(s.count);
        assert_eq!(s.conditions[0].values, vec!["1", "2"]);
        assert_eq!(
            parse("SELECT * FROM Item MAXRESULTS 1500")
                .unwrap_err()
                .code,
            "4001"
        );
        assert_eq!(
            parse("SELECT * FROM Item WHERE Name = 'x")
                .unwrap_err()
                .code,
            "4000"
        );
        assert!(like("Mama Njeri's Kiosk", "mama%kiosk"));
        assert!(!like("Savannah", "mama%"));
    }
}
