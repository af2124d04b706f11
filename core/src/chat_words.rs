//! What the agent says in a messaging app around a form (its questions, hints, the answers
//! it takes, what it says when an answer does not fit), in every language the widget
//! speaks (`locale::LOCALES`, same order). A chat app sends no page for the widget's own
//! table to show in, so these are the chat's counterpart of it; the validation reasons
//! come from that table (`locale::reason_in`), the same words as under the widget's fields.
//!
//! The words offered on buttons (yes, no, skip) and named in the prompts (skip, cancel) are
//! ones `chat_form` takes as answers: a unit test below holds every language to that.

use crate::locale::{fill, LOCALES};

/// One thing the agent says: its index in each language's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum W {
    /// `{label}: is it {name}?`, offering the name the platform knows.
    ConfirmName,
    Yes,
    No,
    Skip,
    /// After an optional field's label.
    Optional,
    ChooseOne,
    ChooseSome,
    YesOrNo,
    DateHint,
    FileHint,
    EmailHint,
    /// `{placeholder}` as an example.
    Example,
    /// The question: `{label}{optional}` then the question mark, `{hint}{example}`.
    Ask,
    /// `{label} {reason}`: a field and what is wrong with the answer.
    Invalid,
    AnswerYesOrNo,
    ChooseOneOf,
    ChooseFrom,
    SendFile,
    NotAFile,
    AnswerWithText,
    Dismissed,
    TextOnly,
    Hello,
    OnWebsite,
    NotSent,
    /// `{form title}`: the form starts, and how to leave it.
    Intro,
    FileTooLarge,
    FileNotFetched,
    /// WhatsApp's list button.
    Choose,
    /// WhatsApp's list section.
    Choices,
}

const N: usize = W::Choices as usize + 1;

/// `{}` marks where [`say`] puts its arguments, in order.
const WORDS: [[&str; N]; 7] = [
    [
        "{}: is it {}? Reply yes, or type it.",
        "Yes",
        "No",
        "Skip",
        " (optional: reply skip)",
        " Choose one:",
        " Choose one or more, separated by commas:",
        " Yes or no?",
        " (as YYYY-MM-DD)",
        " Send it as a document or photo (at most 5 MB).",
        " (your email address)",
        " e.g. {}",
        "{}{}?{}{}",
        "{} {}.",
        "Please answer yes or no.",
        "Please choose one of: {}.",
        "Please choose from: {} (separate them with commas).",
        "Please send the file as a document or photo.",
        "{} is not a file: please type it.",
        "Please answer with a message.",
        "No problem. Ask me anything else.",
        "Please write to me in a message: I can only read text here.",
        "Hi! How can I help?",
        "You can fill in {} on our website.",
        "Sorry, this form could not be sent: {} {}.",
        "{}: I'll ask a few questions (reply cancel to stop).",
        "That file is over 5 MB: please send a smaller one.",
        "I could not fetch that file: please send it again.",
        "Choose",
        "Choices",
    ],
    [
        "{}: Ist es {}? Antworten Sie mit „ja“ oder geben Sie die richtige Angabe ein.",
        "Ja",
        "Nein",
        "Überspringen",
        " (optional: antworten Sie „überspringen“)",
        " Wählen Sie eine Option:",
        " Wählen Sie eine oder mehrere, durch Kommas getrennt:",
        " Ja oder nein?",
        " (im Format JJJJ-MM-TT)",
        " Senden Sie es als Dokument oder Foto (höchstens 5 MB).",
        " (Ihre E-Mail-Adresse)",
        " z. B. {}",
        "{}{}?{}{}",
        "{} {}.",
        "Bitte antworten Sie mit ja oder nein.",
        "Bitte wählen Sie eine dieser Optionen: {}.",
        "Bitte wählen Sie aus: {} (durch Kommas getrennt).",
        "Bitte senden Sie die Datei als Dokument oder Foto.",
        "{} ist keine Datei: Bitte geben Sie es als Text ein.",
        "Bitte antworten Sie mit einer Nachricht.",
        "Kein Problem. Fragen Sie mich gern etwas anderes.",
        "Bitte schreiben Sie mir eine Nachricht: Ich kann hier nur Text lesen.",
        "Hallo! Wie kann ich helfen?",
        "Sie können {} auf unserer Website ausfüllen.",
        "Leider konnte dieses Formular nicht gesendet werden: {} {}.",
        "{}: Ich stelle Ihnen ein paar Fragen (antworten Sie „abbrechen“, um aufzuhören).",
        "Diese Datei ist größer als 5 MB: Bitte senden Sie eine kleinere.",
        "Ich konnte diese Datei nicht abrufen: Bitte senden Sie sie noch einmal.",
        "Auswählen",
        "Optionen",
    ],
    [
        "{} : est-ce {} ? Répondez « oui » ou écrivez-le.",
        "Oui",
        "Non",
        "Passer",
        " (facultatif : répondez « passer »)",
        " Choisissez une option :",
        " Choisissez une ou plusieurs options, séparées par des virgules :",
        " Oui ou non ?",
        " (au format AAAA-MM-JJ)",
        " Envoyez un fichier ou une photo (5 Mo maximum).",
        " (votre adresse e-mail)",
        " p. ex. {}",
        "{} ?{}{}{}",
        "{} {}.",
        "Répondez par oui ou par non, s'il vous plaît.",
        "Choisissez l'une de ces options : {}.",
        "Choisissez parmi : {} (séparées par des virgules).",
        "Envoyez le fichier en document ou en photo, s'il vous plaît.",
        "{} n'est pas un fichier : répondez par écrit, s'il vous plaît.",
        "Répondez par un message, s'il vous plaît.",
        "Pas de souci. Demandez-moi autre chose si vous voulez.",
        "Écrivez-moi un message, s'il vous plaît : je ne peux lire que du texte ici.",
        "Bonjour ! Comment puis-je vous aider ?",
        "Vous pouvez remplir {} sur notre site.",
        "Désolé, ce formulaire n'a pas pu être envoyé : {} {}.",
        "{} : je vais vous poser quelques questions (répondez « annuler » pour arrêter).",
        "Ce fichier dépasse 5 Mo : envoyez-en un plus petit, s'il vous plaît.",
        "Je n'ai pas pu récupérer ce fichier : renvoyez-le, s'il vous plaît.",
        "Choisir",
        "Options",
    ],
    [
        "{}: ¿es {}? Responde «sí» o escríbelo.",
        "Sí",
        "No",
        "Omitir",
        " (opcional: responde «omitir»)",
        " Elige una opción:",
        " Elige una o más, separadas por comas:",
        " ¿Sí o no?",
        " (en formato AAAA-MM-DD)",
        " Envíalo como documento o foto (máximo 5 MB).",
        " (tu correo electrónico)",
        " p. ej. {}",
        "¿{}?{}{}{}",
        "{} {}.",
        "Responde sí o no, por favor.",
        "Elige una de estas opciones: {}.",
        "Elige entre: {} (separadas por comas).",
        "Envía el archivo como documento o foto, por favor.",
        "{} no es un archivo: escríbelo, por favor.",
        "Responde con un mensaje, por favor.",
        "No hay problema. Pregúntame lo que quieras.",
        "Escríbeme un mensaje, por favor: aquí solo puedo leer texto.",
        "¡Hola! ¿En qué puedo ayudarte?",
        "Puedes completar {} en nuestro sitio web.",
        "Lo sentimos, no se pudo enviar este formulario: {} {}.",
        "{}: te haré unas preguntas (responde «cancelar» para parar).",
        "Ese archivo supera los 5 MB: envía uno más pequeño, por favor.",
        "No pude obtener ese archivo: envíalo de nuevo, por favor.",
        "Elegir",
        "Opciones",
    ],
    [
        "{}: é {}? Responda \"sim\" ou digite o correto.",
        "Sim",
        "Não",
        "Pular",
        " (opcional: responda \"pular\")",
        " Escolha uma opção:",
        " Escolha uma ou mais, separadas por vírgulas:",
        " Sim ou não?",
        " (no formato AAAA-MM-DD)",
        " Envie como documento ou foto (no máximo 5 MB).",
        " (seu e-mail)",
        " ex.: {}",
        "{}{}?{}{}",
        "{} {}.",
        "Responda sim ou não, por favor.",
        "Escolha uma destas opções: {}.",
        "Escolha entre: {} (separadas por vírgulas).",
        "Envie o arquivo como documento ou foto, por favor.",
        "{} não é um arquivo: digite a resposta, por favor.",
        "Responda com uma mensagem, por favor.",
        "Sem problemas. Pode me perguntar outra coisa.",
        "Escreva uma mensagem, por favor: aqui só consigo ler texto.",
        "Olá! Como posso ajudar?",
        "Você pode preencher {} no nosso site.",
        "Desculpe, não foi possível enviar este formulário: {} {}.",
        "{}: vou fazer algumas perguntas (responda \"cancelar\" para parar).",
        "Esse arquivo passa de 5 MB: envie um menor, por favor.",
        "Não consegui obter esse arquivo: envie de novo, por favor.",
        "Escolher",
        "Opções",
    ],
    [
        "{}：{} でよろしいですか？「はい」と返信するか、正しい内容を入力してください。",
        "はい",
        "いいえ",
        "スキップ",
        "（任意：「スキップ」で飛ばせます）",
        " 1つ選んでください：",
        " 1つ以上をカンマ区切りで選んでください：",
        " はい/いいえでお答えください。",
        "（YYYY-MM-DD の形式で）",
        " ファイルか写真を送ってください（5 MB まで）。",
        "（メールアドレス）",
        " 例：{}",
        "{}？{}{}{}",
        "{}{}。",
        "「はい」か「いいえ」でお答えください。",
        "次から選んでください：{}。",
        "次から選んでください：{}（カンマ区切り）。",
        "ファイルか写真を送ってください。",
        "{}はファイルではありません。正しい内容を入力してください。",
        "メッセージでお答えください。",
        "承知しました。ほかにご質問があればどうぞ。",
        "メッセージで送ってください。ここではテキストしか読めません。",
        "こんにちは！ご用件をどうぞ。",
        "{} は当社のウェブサイトでご記入いただけます。",
        "申し訳ありません。このフォームを送信できませんでした：{}{}。",
        "{}：いくつか質問します（やめるときは「キャンセル」と返信してください）。",
        "ファイルが 5 MB を超えています。もっと小さいファイルを送ってください。",
        "ファイルを取得できませんでした。もう一度送ってください。",
        "選択",
        "選択肢",
    ],
    [
        "{}: هل هو {}؟ أجب بنعم، أو اكتبه.",
        "نعم",
        "لا",
        "تخطي",
        " (اختياري: أرسل «تخطي»)",
        " اختر خيارًا واحدًا:",
        " اختر واحدًا أو أكثر، مفصولة بفواصل:",
        " نعم أم لا؟",
        " (بصيغة YYYY-MM-DD)",
        " أرسله كمستند أو صورة (5 ميغابايت كحد أقصى).",
        " (بريدك الإلكتروني)",
        " مثال: {}",
        "{}؟{}{}{}",
        "{} {}.",
        "يُرجى الإجابة بنعم أو لا.",
        "يُرجى اختيار أحد الخيارات: {}.",
        "يُرجى الاختيار من: {} (افصل بينها بفواصل).",
        "يُرجى إرسال الملف كمستند أو صورة.",
        "{} ليس ملفًا: يُرجى كتابته.",
        "يُرجى الرد برسالة.",
        "لا مشكلة. اسألني عن أي شيء آخر.",
        "يُرجى مراسلتي برسالة نصية: لا أستطيع قراءة غير النص هنا.",
        "مرحبًا! كيف يمكنني مساعدتك؟",
        "يمكنك تعبئة {} على موقعنا.",
        "عذرًا، تعذّر إرسال هذا النموذج: {} {}.",
        "{}: سأطرح عليك بعض الأسئلة (أرسل «إلغاء» للتوقف).",
        "حجم هذا الملف أكبر من 5 ميغابايت: يُرجى إرسال ملف أصغر.",
        "تعذّر عليّ جلب هذا الملف: يُرجى إرساله مرة أخرى.",
        "اختر",
        "الخيارات",
    ],
];

/// `w` in locale `locale` (an index into [`LOCALES`]; out of range: English).
pub fn word(locale: usize, w: W) -> &'static str {
    WORDS.get(locale).unwrap_or(&WORDS[0])[w as usize]
}

/// `w` in locale `locale`, its `{}` filled with `args` in order.
pub fn say(locale: usize, w: W, args: &[&str]) -> String {
    fill(word(locale, w), args)
}

/// Core's validation `english` reason in locale `locale`, in the widget's table's words (a
/// length with its number); any other text as it is.
pub fn reason(locale: usize, english: &str) -> String {
    match crate::locale::counted(english) {
        Some((t, n)) => crate::locale::fill(crate::locale::text(locale, t), &[n]),
        None => crate::locale::translate(locale, english).into(),
    }
}

// One row per locale, in `LOCALES`' order.
const _: () = assert!(WORDS.len() == LOCALES.len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_fills_the_same_places() {
        let places = |s: &str| s.matches("{}").count();
        for (locale, row) in WORDS.iter().enumerate() {
            for (i, (text, english)) in row.iter().zip(WORDS[0]).enumerate() {
                assert_eq!(places(text), places(english), "{} #{i}: {text}", LOCALES[locale]);
            }
        }
    }

    #[test]
    fn core_reasons_are_said_in_the_chats_language() {
        assert_eq!(
            reason(1, "must be at most 200 characters"),
            "darf höchstens 200 Zeichen lang sein"
        );
        assert_eq!(
            reason(5, "must be at least 3 characters"),
            "は3文字以上にしてください"
        );
        assert_eq!(reason(2, "must be a number"), "doit être un nombre");
        assert_eq!(reason(1, "is required"), "ist erforderlich");
        assert_eq!(
            reason(0, "must be at most 200 characters"),
            "must be at most 200 characters"
        );
        // A reason neither table knows stays as core wrote it.
        assert_eq!(reason(3, "is not a PDF"), "is not a PDF");
    }

    #[test]
    fn a_missing_locale_speaks_english() {
        assert_eq!(word(99, W::Skip), "Skip");
        assert_eq!(
            say(1, W::OnWebsite, &["Demo"]),
            "Sie können Demo auf unserer Website ausfüllen."
        );
    }
}
