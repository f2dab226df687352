//! The printer's character set: which single-byte code page the ESC/POS bytes are in, and what
//! happens to a character the code page lacks.
//!
//! The policy, in this order, for each character of the receipt:
//! 1. printable ASCII, and any character the selected code page has, prints as itself;
//! 2. otherwise [`TRANSLITERATION`] gives an ASCII spelling (`é`→`e`, `ß`→`ss`, `Ł`→`L`,
//!    `€`→`EUR`, curly quotes → straight ones, dashes → `-`): Latin-1, Latin Extended-A, the
//!    Romanian comma letters and common punctuation;
//!    combining accents are dropped, leaving their base letter;
//! 3. anything else (Greek or Cyrillic letters the code page lacks, CJK, emoji) prints as `?`.
//!
//! Both substitutions are reported ([`super::escpos::EscPosReceipt`]), so the app can say that
//! the paper copy spells a name differently from the PDF. Substitution happens before the roll
//! layout, so a longer spelling (`ß`→`ss`) is wrapped like any other text and no line grows past
//! the paper's width.

/// A code page the printer is switched to with `ESC t n`. Every ESC/POS printer starts in
/// PC437; the others must be among the printer's tables (see its manual's `ESC t` page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CodePage {
    /// PC437 (USA, standard Europe): every printer's power-on table; é, ü, ñ, ß but few
    /// capitals with accents. `ESC t 0`.
    #[default]
    Pc437,
    /// PC850 (Multilingual Latin 1): all of Latin-1's letters. `ESC t 2`.
    Pc850,
    /// PC858: PC850 with `€` in place of `ı`. `ESC t 19`.
    Pc858,
    /// Windows-1252: Latin-1 plus `€`, curly quotes and dashes. `ESC t 16`.
    Wpc1252,
}

impl CodePage {
    /// Every supported code page.
    pub const ALL: [CodePage; 4] = [
        CodePage::Pc437,
        CodePage::Pc850,
        CodePage::Pc858,
        CodePage::Wpc1252,
    ];

    /// `n` of `ESC t n` for this table, as Epson numbers them (most ESC/POS clones agree).
    pub fn escpos_number(self) -> u8 {
        match self {
            CodePage::Pc437 => 0,
            CodePage::Pc850 => 2,
            CodePage::Pc858 => 19,
            CodePage::Wpc1252 => 16,
        }
    }

    /// The characters of bytes 0x80..=0xFF, in order (`\0` where the table has none).
    fn high_half(self) -> &'static str {
        match self {
            CodePage::Pc437 => PC437,
            CodePage::Pc850 => PC850,
            CodePage::Pc858 => PC858,
            CodePage::Wpc1252 => WPC1252,
        }
    }

    /// The byte that prints `c` in this code page, if it has one.
    pub fn encode(self, c: char) -> Option<u8> {
        if (' '..='~').contains(&c) {
            return u8::try_from(u32::from(c)).ok();
        }
        if c == '\0' {
            return None;
        }
        let index = self.high_half().chars().position(|x| x == c)?;
        u8::try_from(0x80 + index).ok()
    }

    /// The character byte `b` prints in this code page (`None` for control bytes and holes).
    pub fn decode(self, b: u8) -> Option<char> {
        match b {
            0x20..=0x7E => Some(char::from(b)),
            0x80..=0xFF => self
                .high_half()
                .chars()
                .nth(usize::from(b - 0x80))
                .filter(|c| *c != '\0'),
            _ => None,
        }
    }
}

/// What happened to one character on its way to the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// The code page has it.
    Direct,
    /// Printed as this ASCII text instead.
    Transliterated(&'static str),
    /// Printed as `?`.
    Unprintable,
}

/// How `c` is printed in `page` (the policy in the module docs).
pub(crate) fn spell(page: CodePage, c: char) -> Spelling {
    if page.encode(c).is_some() {
        return Spelling::Direct;
    }
    // A combining accent (`e` + U+0301, text typed on some keyboards) leaves its base letter.
    if ('\u{300}'..='\u{36F}').contains(&c) {
        return Spelling::Transliterated("");
    }
    match TRANSLITERATION.binary_search_by_key(&c, |(k, _)| *k) {
        Ok(i) => Spelling::Transliterated(TRANSLITERATION[i].1),
        Err(_) => Spelling::Unprintable,
    }
}

// Bytes 0x80..=0xFF of each table, generated from the Unicode mappings of IBM/Microsoft
// (Python's cp437, cp850, cp858 and cp1252 codecs).
const PC437: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
const PC850: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";
const PC858: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";
const WPC1252: &str = "€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ\u{a0}¡¢£¤¥¦§¨©ª«¬\u{ad}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ";

/// The ASCII spelling of a character the code page lacks, sorted by character. Letters lose
/// their accents (`é`→`e`, `Ő`→`O`); ligatures and letters without a base letter are spelt out
/// (`ß`→`ss`, `Æ`→`AE`, `Þ`→`TH`); currencies by their code (`€`→`EUR`, `£`→`GBP`); typographic
/// punctuation by its ASCII look-alike.
pub const TRANSLITERATION: &[(char, &str)] = &[
    ('\u{a0}', " "),
    ('¡', "!"),
    ('¢', "c"),
    ('£', "GBP"),
    ('¤', "$"),
    ('¥', "JPY"),
    ('¦', "|"),
    ('§', "S"),
    ('¨', "\""),
    ('©', "(c)"),
    ('ª', "a"),
    ('«', "<<"),
    ('¬', "-"),
    ('\u{ad}', "-"),
    ('®', "(R)"),
    ('¯', "-"),
    ('°', "o"),
    ('±', "+/-"),
    ('²', "2"),
    ('³', "3"),
    ('´', "'"),
    ('µ', "u"),
    ('¶', "P"),
    ('·', "."),
    ('¸', ","),
    ('¹', "1"),
    ('º', "o"),
    ('»', ">>"),
    ('¼', "1/4"),
    ('½', "1/2"),
    ('¾', "3/4"),
    ('¿', "?"),
    ('À', "A"),
    ('Á', "A"),
    ('Â', "A"),
    ('Ã', "A"),
    ('Ä', "A"),
    ('Å', "A"),
    ('Æ', "AE"),
    ('Ç', "C"),
    ('È', "E"),
    ('É', "E"),
    ('Ê', "E"),
    ('Ë', "E"),
    ('Ì', "I"),
    ('Í', "I"),
    ('Î', "I"),
    ('Ï', "I"),
    ('Ð', "D"),
    ('Ñ', "N"),
    ('Ò', "O"),
    ('Ó', "O"),
    ('Ô', "O"),
    ('Õ', "O"),
    ('Ö', "O"),
    ('×', "x"),
    ('Ø', "O"),
    ('Ù', "U"),
    ('Ú', "U"),
    ('Û', "U"),
    ('Ü', "U"),
    ('Ý', "Y"),
    ('Þ', "TH"),
    ('ß', "ss"),
    ('à', "a"),
    ('á', "a"),
    ('â', "a"),
    ('ã', "a"),
    ('ä', "a"),
    ('å', "a"),
    ('æ', "ae"),
    ('ç', "c"),
    ('è', "e"),
    ('é', "e"),
    ('ê', "e"),
    ('ë', "e"),
    ('ì', "i"),
    ('í', "i"),
    ('î', "i"),
    ('ï', "i"),
    ('ð', "d"),
    ('ñ', "n"),
    ('ò', "o"),
    ('ó', "o"),
    ('ô', "o"),
    ('õ', "o"),
    ('ö', "o"),
    ('÷', "/"),
    ('ø', "o"),
    ('ù', "u"),
    ('ú', "u"),
    ('û', "u"),
    ('ü', "u"),
    ('ý', "y"),
    ('þ', "th"),
    ('ÿ', "y"),
    ('Ā', "A"),
    ('ā', "a"),
    ('Ă', "A"),
    ('ă', "a"),
    ('Ą', "A"),
    ('ą', "a"),
    ('Ć', "C"),
    ('ć', "c"),
    ('Ĉ', "C"),
    ('ĉ', "c"),
    ('Ċ', "C"),
    ('ċ', "c"),
    ('Č', "C"),
    ('č', "c"),
    ('Ď', "D"),
    ('ď', "d"),
    ('Đ', "D"),
    ('đ', "d"),
    ('Ē', "E"),
    ('ē', "e"),
    ('Ĕ', "E"),
    ('ĕ', "e"),
    ('Ė', "E"),
    ('ė', "e"),
    ('Ę', "E"),
    ('ę', "e"),
    ('Ě', "E"),
    ('ě', "e"),
    ('Ĝ', "G"),
    ('ĝ', "g"),
    ('Ğ', "G"),
    ('ğ', "g"),
    ('Ġ', "G"),
    ('ġ', "g"),
    ('Ģ', "G"),
    ('ģ', "g"),
    ('Ĥ', "H"),
    ('ĥ', "h"),
    ('Ħ', "H"),
    ('ħ', "h"),
    ('Ĩ', "I"),
    ('ĩ', "i"),
    ('Ī', "I"),
    ('ī', "i"),
    ('Ĭ', "I"),
    ('ĭ', "i"),
    ('Į', "I"),
    ('į', "i"),
    ('İ', "I"),
    ('ı', "i"),
    ('Ĳ', "IJ"),
    ('ĳ', "ij"),
    ('Ĵ', "J"),
    ('ĵ', "j"),
    ('Ķ', "K"),
    ('ķ', "k"),
    ('ĸ', "k"),
    ('Ĺ', "L"),
    ('ĺ', "l"),
    ('Ļ', "L"),
    ('ļ', "l"),
    ('Ľ', "L"),
    ('ľ', "l"),
    ('Ŀ', "L"),
    ('ŀ', "l"),
    ('Ł', "L"),
    ('ł', "l"),
    ('Ń', "N"),
    ('ń', "n"),
    ('Ņ', "N"),
    ('ņ', "n"),
    ('Ň', "N"),
    ('ň', "n"),
    ('ŉ', "'n"),
    ('Ŋ', "N"),
    ('ŋ', "n"),
    ('Ō', "O"),
    ('ō', "o"),
    ('Ŏ', "O"),
    ('ŏ', "o"),
    ('Ő', "O"),
    ('ő', "o"),
    ('Œ', "OE"),
    ('œ', "oe"),
    ('Ŕ', "R"),
    ('ŕ', "r"),
    ('Ŗ', "R"),
    ('ŗ', "r"),
    ('Ř', "R"),
    ('ř', "r"),
    ('Ś', "S"),
    ('ś', "s"),
    ('Ŝ', "S"),
    ('ŝ', "s"),
    ('Ş', "S"),
    ('ş', "s"),
    ('Š', "S"),
    ('š', "s"),
    ('Ţ', "T"),
    ('ţ', "t"),
    ('Ť', "T"),
    ('ť', "t"),
    ('Ŧ', "T"),
    ('ŧ', "t"),
    ('Ũ', "U"),
    ('ũ', "u"),
    ('Ū', "U"),
    ('ū', "u"),
    ('Ŭ', "U"),
    ('ŭ', "u"),
    ('Ů', "U"),
    ('ů', "u"),
    ('Ű', "U"),
    ('ű', "u"),
    ('Ų', "U"),
    ('ų', "u"),
    ('Ŵ', "W"),
    ('ŵ', "w"),
    ('Ŷ', "Y"),
    ('ŷ', "y"),
    ('Ÿ', "Y"),
    ('Ź', "Z"),
    ('ź', "z"),
    ('Ż', "Z"),
    ('ż', "z"),
    ('Ž', "Z"),
    ('ž', "z"),
    ('ſ', "s"),
    ('Ș', "S"),
    ('ș', "s"),
    ('Ț', "T"),
    ('ț', "t"),
    ('\u{2007}', " "),
    ('\u{2009}', " "),
    ('‐', "-"),
    ('‑', "-"),
    ('‒', "-"),
    ('–', "-"),
    ('—', "-"),
    ('―', "-"),
    ('‘', "'"),
    ('’', "'"),
    ('‚', "'"),
    ('‛', "'"),
    ('“', "\""),
    ('”', "\""),
    ('„', "\""),
    ('•', "*"),
    ('…', "..."),
    ('\u{202f}', " "),
    ('′', "'"),
    ('″', "\""),
    ('‹', "<"),
    ('›', ">"),
    ('€', "EUR"),
    ('™', "TM"),
    ('−', "-"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_128_characters_and_round_trips() {
        for page in CodePage::ALL {
            assert_eq!(page.high_half().chars().count(), 128, "{page:?}");
            for b in 0x20..=0xFF_u8 {
                if let Some(c) = page.decode(b) {
                    assert_eq!(page.encode(c), Some(b), "{page:?} {b:#x} {c}");
                }
            }
        }
        assert_eq!(CodePage::Pc437.encode('é'), Some(0x82));
        assert_eq!(CodePage::Pc850.encode('É'), Some(0x90));
        assert_eq!(CodePage::Pc858.encode('€'), Some(0xD5));
        assert_eq!(CodePage::Wpc1252.encode('€'), Some(0x80));
        assert_eq!(CodePage::Wpc1252.encode('é'), Some(0xE9));
        assert_eq!(CodePage::Pc437.encode('Ł'), None);
        assert_eq!(CodePage::Wpc1252.decode(0x81), None);
        assert_eq!(CodePage::Pc437.decode(0x0A), None);
    }

    #[test]
    fn the_table_is_sorted_ascii_and_never_maps_ascii() {
        for pair in TRANSLITERATION.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        for (c, spelling) in TRANSLITERATION {
            assert!(!c.is_ascii(), "{c}");
            assert!(!spelling.is_empty(), "{c}");
            assert!(
                spelling.chars().all(|s| (' '..='~').contains(&s)),
                "{c} → {spelling}"
            );
        }
    }

    #[test]
    fn the_policy_prefers_the_code_page_then_the_table_then_a_question_mark() {
        assert_eq!(spell(CodePage::Pc437, 'é'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc437, 'É'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc437, 'Ê'), Spelling::Transliterated("E"));
        assert_eq!(spell(CodePage::Pc850, 'Ê'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc437, 'ß'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc437, 'Ł'), Spelling::Transliterated("L"));
        assert_eq!(spell(CodePage::Pc850, '€'), Spelling::Transliterated("EUR"));
        assert_eq!(spell(CodePage::Pc858, '€'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc437, '’'), Spelling::Transliterated("'"));
        assert_eq!(spell(CodePage::Wpc1252, '’'), Spelling::Direct);
        assert_eq!(spell(CodePage::Pc850, 'Ж'), Spelling::Unprintable);
        assert_eq!(spell(CodePage::Pc437, '漢'), Spelling::Unprintable);
    }
}
