//! The widget's words in every language it speaks, and which language a visitor gets.
//!
//! One table, indexed by [`T`] (a `&[&str]` row per locale is the smallest form in wasm).
//! The English row holds the exact texts core and the edge use (validation reasons, the
//! default success message), so the widget can translate what the edge says by looking it
//! up there. The edge's own API messages stay English.

#[cfg(feature = "server")]
use crate::validate::FieldError;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The locales the widget speaks, English first (the fallback).
pub const LOCALES: [&str; 7] = ["en", "de", "fr", "es", "pt", "ja", "ar"];

/// Each locale's language by its English name, in [`LOCALES`]' order (what an LLM is told).
pub const NAMES: [&str; 7] = [
    "English",
    "German",
    "French",
    "Spanish",
    "Portuguese",
    "Japanese",
    "Arabic",
];

/// One text of the widget: its index in each locale's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum T {
    Placeholder,
    Message,
    Send,
    Close,
    ChatWith,
    NotNow,
    Sending,
    Choose,
    Greeting,
    Offer,
    Fallback,
    Saved,
    Unsaved,
    Sent,
    SavedRefused,
    Success,
    Required,
    Email,
    Phone,
    Url,
    Offline,
    Unreadable,
    Status,
    TooLarge,
    Reading,
    Note,
    NoRead,
    Policy,
    StepOf,
    Next,
    Back,
    Date,
    Number,
    AtMost,
    AtLeast,
    /// A refusal the visitor cannot mend (not at one of the form's fields), with its status.
    Refused,
    /// A file refused as a program (`files::check_type`).
    Program,
    /// A file whose contents are not the type it declares (`files::check_type`).
    WrongType,
    /// What a required group of boxes says of itself after its legend, for a screen reader.
    RequiredMark,
}

/// How many texts a row holds (the last of [`T`] plus one).
const N: usize = T::RequiredMark as usize + 1;

/// Each text's name in the widget config's `texts` object, in [`T`]'s order. By name, not
/// by position: a widget cached in a browser may be older than the edge it talks to, and a
/// text it does not find stays English.
pub const KEYS: [&str; N] = [
    "placeholder",
    "message",
    "send",
    "close",
    "chatWith",
    "notNow",
    "sending",
    "choose",
    "greeting",
    "offer",
    "fallback",
    "saved",
    "unsaved",
    "sent",
    "savedRefused",
    "success",
    "required",
    "email",
    "phone",
    "url",
    "offline",
    "unreadable",
    "status",
    "tooLarge",
    "reading",
    "note",
    "noRead",
    "policy",
    "stepOf",
    "next",
    "back",
    "date",
    "number",
    "atMost",
    "atLeast",
    "refused",
    "program",
    "wrongType",
    "requiredMark",
];

/// The English row: the fallback, and what the edge's and core's English texts are looked
/// up in to translate them. The widget links only this row; the edge sends it the visitor's
/// own ([`texts_for`]).
pub const ENGLISH: [&str; N] = TEXTS[0];

/// `{}` marks where [`fill`] puts its arguments, in order (word order differs by language).
const TEXTS: [[&str; N]; 7] = [
    [
        "Type a message…",
        "Message",
        "Send",
        "Close chat",
        "Chat with {}",
        "Not now",
        "Sending…",
        "Choose…",
        "Hi! How can we help?",
        "Happy to help. Leave your details here and we'll get back to you.",
        "Thanks for your message! If you'd like someone from our team to follow up, just say so.",
        "We could not reach the server. Your details are saved on this device and will be sent as soon as the connection is back.",
        "Your details could not be saved on this device either.",
        "Your details have been sent.",
        "Your saved details could not be sent: {}",
        "Thanks — we'll be in touch!",
        "is required",
        "must be an email address like name@example.com",
        "must be a phone number (7 to 15 digits)",
        "must be a web address starting with http:// or https://",
        "We could not reach the server. Check your connection and try again.",
        "The server sent an answer we could not read.",
        "The server answered {}. Please try again.",
        "{} is {} MB; files can be at most 5 MB.",
        "Reading {}… {}%",
        "(Note: {})",
        "could not read {}",
        "Privacy policy",
        "Step {} of {}",
        "Next",
        "Back",
        "must be a date like 2026-12-31",
        "must be a number",
        "must be at most {} characters",
        "must be at least {} characters",
        "This could not be sent: the server answered {}.",
        "is a program; programs are not accepted",
        "is not the kind of file it says it is",
        "required",
    ],
    [
        "Nachricht schreiben…",
        "Nachricht",
        "Senden",
        "Chat schließen",
        "Chat mit {}",
        "Nicht jetzt",
        "Wird gesendet…",
        "Bitte wählen…",
        "Hallo! Wie können wir helfen?",
        "Gern! Hinterlassen Sie hier Ihre Daten, wir melden uns bei Ihnen.",
        "Danke für Ihre Nachricht! Wenn sich jemand aus unserem Team melden soll, sagen Sie es einfach.",
        "Der Server ist nicht erreichbar. Ihre Angaben sind auf diesem Gerät gespeichert und werden gesendet, sobald die Verbindung wieder steht.",
        "Ihre Angaben konnten auch auf diesem Gerät nicht gespeichert werden.",
        "Ihre Angaben wurden gesendet.",
        "Ihre gespeicherten Angaben konnten nicht gesendet werden: {}",
        "Danke – wir melden uns!",
        "ist erforderlich",
        "muss eine E-Mail-Adresse wie name@example.com sein",
        "muss eine Telefonnummer sein (7 bis 15 Ziffern)",
        "muss eine Webadresse mit http:// oder https:// sein",
        "Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
        "Die Antwort des Servers war nicht lesbar.",
        "Der Server antwortete {}. Bitte versuchen Sie es erneut.",
        "{} hat {} MB; Dateien dürfen höchstens 5 MB groß sein.",
        "{} wird gelesen… {}%",
        "(Hinweis: {})",
        "{} konnte nicht gelesen werden",
        "Datenschutzerklärung",
        "Schritt {} von {}",
        "Weiter",
        "Zurück",
        "muss ein Datum wie 2026-12-31 sein",
        "muss eine Zahl sein",
        "darf höchstens {} Zeichen lang sein",
        "muss mindestens {} Zeichen lang sein",
        "Das konnte nicht gesendet werden: Der Server antwortete {}.",
        "ist ein Programm; Programme werden nicht angenommen",
        "enthält nicht den angegebenen Dateityp",
        "Pflichtfeld",
    ],
    [
        "Écrivez un message…",
        "Message",
        "Envoyer",
        "Fermer le chat",
        "Discuter avec {}",
        "Pas maintenant",
        "Envoi…",
        "Choisir…",
        "Bonjour ! Comment pouvons-nous vous aider ?",
        "Avec plaisir. Laissez vos coordonnées ici et nous reviendrons vers vous.",
        "Merci pour votre message ! Si vous souhaitez être recontacté par notre équipe, dites-le.",
        "Le serveur est injoignable. Vos informations sont enregistrées sur cet appareil et seront envoyées dès le retour de la connexion.",
        "Vos informations n'ont pas pu être enregistrées sur cet appareil non plus.",
        "Vos informations ont été envoyées.",
        "Vos informations enregistrées n'ont pas pu être envoyées : {}",
        "Merci, nous revenons vers vous très vite !",
        "est obligatoire",
        "doit être une adresse e-mail comme nom@example.com",
        "doit être un numéro de téléphone (7 à 15 chiffres)",
        "doit être une adresse web commençant par http:// ou https://",
        "Le serveur est injoignable. Vérifiez votre connexion et réessayez.",
        "La réponse du serveur est illisible.",
        "Le serveur a répondu {}. Veuillez réessayer.",
        "{} fait {} Mo ; les fichiers sont limités à 5 Mo.",
        "Lecture de {}… {} %",
        "(Remarque : {})",
        "impossible de lire {}",
        "Politique de confidentialité",
        "Étape {} sur {}",
        "Suivant",
        "Retour",
        "doit être une date comme 2026-12-31",
        "doit être un nombre",
        "doit faire au plus {} caractères",
        "doit faire au moins {} caractères",
        "L’envoi n’a pas abouti : le serveur a répondu {}.",
        "est un programme ; les programmes ne sont pas acceptés",
        "ne contient pas le type de fichier annoncé",
        "obligatoire",
    ],
    [
        "Escribe un mensaje…",
        "Mensaje",
        "Enviar",
        "Cerrar chat",
        "Chatear con {}",
        "Ahora no",
        "Enviando…",
        "Elige…",
        "¡Hola! ¿En qué podemos ayudarte?",
        "Con gusto. Deja aquí tus datos y te contactaremos.",
        "¡Gracias por tu mensaje! Si quieres que alguien de nuestro equipo te contacte, solo dilo.",
        "No pudimos conectar con el servidor. Tus datos se guardaron en este dispositivo y se enviarán en cuanto vuelva la conexión.",
        "Tus datos tampoco se pudieron guardar en este dispositivo.",
        "Tus datos se han enviado.",
        "Tus datos guardados no se pudieron enviar: {}",
        "¡Gracias! Te contactaremos pronto.",
        "es obligatorio",
        "debe ser un correo como nombre@example.com",
        "debe ser un teléfono (de 7 a 15 dígitos)",
        "debe ser una dirección web que empiece por http:// o https://",
        "No pudimos conectar con el servidor. Revisa tu conexión e inténtalo de nuevo.",
        "No pudimos leer la respuesta del servidor.",
        "El servidor respondió {}. Inténtalo de nuevo.",
        "{} pesa {} MB; los archivos pueden pesar como máximo 5 MB.",
        "Leyendo {}… {} %",
        "(Nota: {})",
        "no se pudo leer {}",
        "Política de privacidad",
        "Paso {} de {}",
        "Siguiente",
        "Atrás",
        "debe ser una fecha como 2026-12-31",
        "debe ser un número",
        "debe tener como máximo {} caracteres",
        "debe tener al menos {} caracteres",
        "No se pudo enviar: el servidor respondió {}.",
        "es un programa; no se aceptan programas",
        "no contiene el tipo de archivo que indica",
        "obligatorio",
    ],
    [
        "Digite uma mensagem…",
        "Mensagem",
        "Enviar",
        "Fechar chat",
        "Conversar com {}",
        "Agora não",
        "Enviando…",
        "Escolha…",
        "Olá! Como podemos ajudar?",
        "Com prazer. Deixe seus dados aqui e entraremos em contato.",
        "Obrigado pela mensagem! Se quiser que alguém da nossa equipe entre em contato, é só dizer.",
        "Não foi possível falar com o servidor. Seus dados estão salvos neste dispositivo e serão enviados assim que a conexão voltar.",
        "Também não foi possível salvar seus dados neste dispositivo.",
        "Seus dados foram enviados.",
        "Não foi possível enviar seus dados salvos: {}",
        "Obrigado! Entraremos em contato em breve.",
        "é obrigatório",
        "deve ser um e-mail como nome@example.com",
        "deve ser um telefone (7 a 15 dígitos)",
        "deve ser um endereço web que comece com http:// ou https://",
        "Não foi possível falar com o servidor. Verifique sua conexão e tente de novo.",
        "Não foi possível ler a resposta do servidor.",
        "O servidor respondeu {}. Tente de novo.",
        "{} tem {} MB; os arquivos podem ter no máximo 5 MB.",
        "Lendo {}… {}%",
        "(Observação: {})",
        "não foi possível ler {}",
        "Política de privacidade",
        "Etapa {} de {}",
        "Próximo",
        "Voltar",
        "deve ser uma data como 2026-12-31",
        "deve ser um número",
        "deve ter no máximo {} caracteres",
        "deve ter pelo menos {} caracteres",
        "Não foi possível enviar: o servidor respondeu {}.",
        "é um programa; programas não são aceitos",
        "não contém o tipo de arquivo que indica",
        "obrigatório",
    ],
    [
        "メッセージを入力…",
        "メッセージ",
        "送信",
        "チャットを閉じる",
        "{}とチャット",
        "今はしない",
        "送信中…",
        "選択してください…",
        "こんにちは！ご用件をお聞かせください。",
        "喜んでお手伝いします。こちらにご連絡先をご記入いただければ、折り返しご連絡します。",
        "メッセージありがとうございます。担当者からの連絡をご希望の場合は、お知らせください。",
        "サーバーに接続できませんでした。入力内容はこの端末に保存され、接続が戻りしだい送信されます。",
        "入力内容をこの端末に保存することもできませんでした。",
        "入力内容を送信しました。",
        "保存した入力内容を送信できませんでした: {}",
        "ありがとうございます。追ってご連絡します。",
        "は必須です",
        "は name@example.com のようなメールアドレスにしてください",
        "は電話番号（7〜15桁）にしてください",
        "は http:// または https:// で始まるウェブアドレスにしてください",
        "サーバーに接続できませんでした。接続を確認して、もう一度お試しください。",
        "サーバーの応答を読み取れませんでした。",
        "サーバーの応答: {}。もう一度お試しください。",
        "{} は {} MB です。ファイルは 5 MB までです。",
        "{} を読み込み中… {}%",
        "（注: {}）",
        "{} を読み込めませんでした",
        "プライバシーポリシー",
        "ステップ {}/{}",
        "次へ",
        "戻る",
        "は2026-12-31 のような日付にしてください",
        "は数値にしてください",
        "は{}文字以内にしてください",
        "は{}文字以上にしてください",
        "送信できませんでした（サーバーの応答: {}）。",
        "はプログラムです。プログラムは受け付けていません",
        "の内容がファイルの種類と一致しません",
        "必須",
    ],
    [
        "اكتب رسالة…",
        "رسالة",
        "إرسال",
        "إغلاق المحادثة",
        "الدردشة مع {}",
        "ليس الآن",
        "جارٍ الإرسال…",
        "اختر…",
        "مرحبًا! كيف يمكننا مساعدتك؟",
        "يسعدنا ذلك. اترك بياناتك هنا وسنتواصل معك.",
        "شكرًا على رسالتك! إذا أردت أن يتواصل معك أحد من فريقنا، فأخبرنا بذلك.",
        "تعذّر الوصول إلى الخادم. بياناتك محفوظة على هذا الجهاز وستُرسل فور عودة الاتصال.",
        "تعذّر حفظ بياناتك على هذا الجهاز أيضًا.",
        "تم إرسال بياناتك.",
        "تعذّر إرسال بياناتك المحفوظة: {}",
        "شكرًا، سنتواصل معك قريبًا!",
        "مطلوب",
        "يجب أن يكون بريدًا إلكترونيًا مثل name@example.com",
        "يجب أن يكون رقم هاتف (من 7 إلى 15 رقمًا)",
        "يجب أن يكون عنوان ويب يبدأ بـ http:// أو https://",
        "تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مرة أخرى.",
        "تعذّرت قراءة رد الخادم.",
        "أجاب الخادم {}. يُرجى المحاولة مرة أخرى.",
        "حجم {} هو {} ميغابايت؛ الحد الأقصى للملفات 5 ميغابايت.",
        "جارٍ قراءة {}… {}%",
        "(ملاحظة: {})",
        "تعذّرت قراءة {}",
        "سياسة الخصوصية",
        "الخطوة {} من {}",
        "التالي",
        "رجوع",
        "يجب أن يكون تاريخًا مثل 2026-12-31",
        "يجب أن يكون رقمًا",
        "يجب ألا يزيد عن {} حرفًا",
        "يجب ألا يقل عن {} حرفًا",
        "تعذّر الإرسال: ردّ الخادم {}.",
        "برنامج، والبرامج غير مقبولة",
        "لا يطابق محتواه نوع الملف المذكور",
        "إلزامي",
    ],
];

/// An owner's texts by locale code (`{"de": "Hallo!"}`), in the order given. A list rather
/// than a `BTreeMap`: the widget carries these types, and a map's code costs it kilobytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Texts(pub Vec<(String, String)>);

impl Texts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text for `code`, if there is one.
    pub fn get(&self, code: &str) -> Option<&str> {
        self.0.iter().find(|(c, _)| c == code).map(|(_, t)| t.as_str())
    }
}

impl Serialize for Texts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (code, text) in &self.0 {
            map.serialize_entry(code, text)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Map;
        impl<'de> Visitor<'de> for Map {
            type Value = Texts;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of texts by locale code")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Texts, A::Error> {
                let mut texts: Vec<(String, String)> = Vec::new();
                while let Some((code, text)) = map.next_entry::<String, String>()? {
                    // A repeated key: the last wins, as in a JSON object read into a map.
                    texts.retain(|(c, _)| *c != code);
                    texts.push((code, text));
                }
                Ok(Texts(texts))
            }
        }
        d.deserialize_map(Map)
    }
}

/// The index of `tag`'s language in [`LOCALES`], by its primary subtag ("de-AT" → de).
pub fn index(tag: &str) -> Option<usize> {
    let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    LOCALES.iter().position(|code| *code == primary)
}

/// The locale a visitor gets: the agent's setting, else the browser's language, else English.
pub fn pick(agent: Option<&str>, browser: Option<&str>) -> usize {
    agent
        .and_then(index)
        .or_else(|| browser.and_then(index))
        .unwrap_or(0)
}

/// `t` in locale `locale` (an index into [`LOCALES`]; out of range: English).
pub fn text(locale: usize, t: T) -> &'static str {
    text_at(locale, t as usize)
}

/// `english`, a text of the English row (a validation reason, the default success
/// message), in locale `locale`; any other text (an owner's own) as it is.
pub fn translate(locale: usize, english: &str) -> &str {
    match ENGLISH.iter().position(|e| *e == english) {
        Some(i) => text_at(locale, i),
        None => english,
    }
}

/// How `files::check_type` begins a file whose contents are not the type it declares
/// (the types follow, for a developer): one text, [`T::WrongType`], for a visitor.
pub const DECLARED_AS: &str = "is declared as ";

/// A length refusal of core's (`validate::AT_MOST`, `AT_LEAST`: "must be at most 200
/// characters") as its text and its number, to say in another language with [`fill`].
pub fn counted(english: &str) -> Option<(T, &str)> {
    use crate::validate::{AT_LEAST, AT_MOST};
    let count = |(before, after): (&str, &str)| english.strip_prefix(before)?.strip_suffix(after);
    match count(AT_MOST) {
        Some(n) => Some((T::AtMost, n)),
        None => count(AT_LEAST).map(|n| (T::AtLeast, n)),
    }
}

fn text_at(locale: usize, i: usize) -> &'static str {
    TEXTS.get(locale).unwrap_or(&TEXTS[0])[i]
}

/// `template` with each `{}` replaced by the next of `args`.
pub fn fill(template: &str, args: &[&str]) -> String {
    // Char patterns only: a `&str` one would link the substring searcher (and its panic
    // messages) into the widget, about 1 KB brotli.
    let mut out = String::new();
    let mut args = args.iter();
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        rest = match after.strip_prefix('}') {
            Some(after) => {
                out.push_str(args.next().copied().unwrap_or_default());
                after
            }
            None => {
                out.push('{');
                after
            }
        };
    }
    out.push_str(rest);
    out
}

#[cfg(feature = "server")]
/// Owner-set translations (`{"de": "Hallo!"}`): known locale codes only, each text at most
/// `max` characters.
pub fn check_texts(field: &str, texts: &Texts, max: usize) -> Result<(), FieldError> {
    for (code, text) in &texts.0 {
        if !LOCALES.contains(&code.as_str()) {
            return Err(FieldError::new(
                format!("{field}.{code}"),
                format!("is not a locale; use one of {}", LOCALES.join(", ")),
            ));
        }
        crate::owner::cap(&format!("{field}.{code}"), text, max)?;
    }
    Ok(())
}

/// The owner's non-blank translation in `texts` for the locale code `code`.
pub fn own_text<'a>(texts: &'a Texts, code: &str) -> Option<&'a str> {
    texts.get(code).filter(|t| !t.trim().is_empty())
}

#[cfg(feature = "server")]
/// `locale`'s row of the table by [`KEYS`], as the widget config sends it.
pub fn texts_for(locale: usize) -> Texts {
    let row = TEXTS.get(locale).unwrap_or(&TEXTS[0]);
    Texts(
        KEYS.iter()
            .zip(row)
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_refusal_is_said_with_its_number_in_every_language() {
        use crate::validate::{AT_LEAST, AT_MOST};
        assert_eq!(
            ENGLISH[T::AtMost as usize],
            format!("{}{{}}{}", AT_MOST.0, AT_MOST.1)
        );
        assert_eq!(
            ENGLISH[T::AtLeast as usize],
            format!("{}{{}}{}", AT_LEAST.0, AT_LEAST.1)
        );
        assert_eq!(counted("must be at least 3 characters"), Some((T::AtLeast, "3")));
        assert_eq!(
            counted("must be at most 200 characters"),
            Some((T::AtMost, "200"))
        );
        assert_eq!(counted("is required"), None);
        let german = fill(text(1, T::AtLeast), &["3"]);
        assert_eq!(german, "muss mindestens 3 Zeichen lang sein");
    }

    #[test]
    fn the_agent_setting_wins_then_the_browser_then_english() {
        assert_eq!(LOCALES[pick(Some("ar"), Some("de-DE"))], "ar");
        assert_eq!(LOCALES[pick(None, Some("de-AT"))], "de");
        assert_eq!(LOCALES[pick(Some(""), Some("pt_BR"))], "pt");
        assert_eq!(LOCALES[pick(None, Some("JA"))], "ja");
        assert_eq!(LOCALES[pick(None, Some("nl-NL"))], "en");
        assert_eq!(LOCALES[pick(None, None)], "en");
    }

    #[test]
    fn the_english_row_is_what_core_says() {
        use crate::form::{FieldKind, FieldSpec};
        assert_eq!(text(0, T::Success), crate::form::DEFAULT_SUCCESS_MESSAGE);
        let field = |kind| FieldSpec {
            name: "f".into(),
            kind,
            required: true,
            ..FieldSpec::default()
        };
        let reason = |kind, value: &str| {
            crate::validate::validate_field(&field(kind), Some(&value.into()))
                .unwrap_err()
                .reason
        };
        assert_eq!(reason(FieldKind::Text, " "), text(0, T::Required));
        assert_eq!(reason(FieldKind::Email, "x"), text(0, T::Email));
        assert_eq!(reason(FieldKind::Phone, "x"), text(0, T::Phone));
        assert_eq!(reason(FieldKind::Url, "x"), text(0, T::Url));
        assert_eq!(reason(FieldKind::Date, "x"), text(0, T::Date));
    }

    #[test]
    fn every_locale_has_every_text_with_its_placeholders() {
        for row in &TEXTS {
            for (i, text) in row.iter().enumerate() {
                assert!(!text.is_empty());
                assert_eq!(
                    text.matches("{}").count(),
                    TEXTS[0][i].matches("{}").count(),
                    "{text}"
                );
            }
        }
        assert_eq!(text(1, T::Required), "ist erforderlich");
        assert_eq!(fill(text(5, T::ChatWith), &["Acme"]), "Acmeとチャット");
        assert_eq!(
            fill(text(0, T::TooLarge), &["a.pdf", "6.0"]),
            "a.pdf is 6.0 MB; files can be at most 5 MB."
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn owner_translations_use_known_locales_and_caps() {
        let map = |k: &str, v: &str| Texts(vec![(k.to_string(), v.to_string())]);
        assert!(check_texts("greetings", &map("de", "Hallo!"), 10).is_ok());
        assert_eq!(
            check_texts("greetings", &map("xx", "Hi"), 10).unwrap_err().field,
            "greetings.xx"
        );
        assert!(check_texts("greetings", &map("ar", &"م".repeat(11)), 10).is_err());
        assert_eq!(own_text(&map("de", "Hallo!"), "de"), Some("Hallo!"));
        assert_eq!(own_text(&map("de", " "), "de"), None);
        assert_eq!(own_text(&map("de", "Hallo!"), "fr"), None);
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_widget_gets_its_row_by_name() {
        let keys: std::collections::HashSet<_> = KEYS.iter().collect();
        assert_eq!(keys.len(), N, "every text has its own name");
        let de = texts_for(1);
        assert_eq!(de.get("required"), Some("ist erforderlich"));
        assert_eq!(de.get("chatWith"), Some(text(1, T::ChatWith)));
        assert_eq!(de.0.len(), N);
        assert_eq!(texts_for(99).get("send"), Some("Send"), "out of range: English");
    }

    #[test]
    fn texts_read_and_write_as_a_json_object() {
        let texts: Texts = serde_json::from_str(r#"{"de":"Hallo","ar":"مرحبا","de":"Servus"}"#).unwrap();
        assert_eq!(texts.get("de"), Some("Servus"));
        assert_eq!(
            serde_json::to_string(&texts).unwrap(),
            r#"{"ar":"مرحبا","de":"Servus"}"#
        );
        assert!(serde_json::from_str::<Texts>(r#"{"de":1}"#).is_err());
    }
}
