/**
 * Word handling shared by retrieval and the built-in engine: lower-cased word tokens without
 * the filler words of English and Hinglish, so "Bhai, aapka salon Sunday ko open hai?" searches
 * for "salon sunday open".
 */
const stopwords = new Set(
  (
    'a an the and or but if of to in on at by for from with about as is are was were be been being am do does did done ' +
    'have has had i me my we our you your he she it its they them their this that these those what which who whom whose ' +
    'when where why how can could would should will shall may might must not no yes please thanks thank hi hello hey ' +
    'there here any some all just also too very so than then into out up down over under again more most such only own ' +
    'same other get got tell know want need like let s t don doesn isn aren im ive id ok okay sir madam ' +
    'looking look good best nice great info information details detail interested something anything pls plz kindly wanna ' +
    'actually really maybe still give would ' +
    // Hinglish fillers
    'bhai bhaiya ji aap aapka aapki aapke apka apki apke hai hain ho hoga hogi kya kyu kyun ka ki ke ko se me mein mai main ' +
    'mera meri mere hum humara tum tera teri ye yeh wo woh vo koi kuch bhi na nahi nahin haan han to toh par pe aur ya ' +
    'batao bataiye bata bataye chahiye sakte sakta sakti raha rahi rahe tha thi the kar karo kare karna karein ' +
    'mil milta milti milega milegi milenge jayega jaega jaayega hoga hogi hota hoti lagta lagti lagega lagegi wala wali wale ' +
    'karte karti karwana karwane karvana karna hona hoon hu hun tha kab kaise kahan kitna kitne kitni sab kuchh ' +
    'chalega chalegi chalta chalti chalenge yahan yaha wahan waha idhar udhar apna apni apne liye lie saath beech ' +
    'de dena dene dete deti denge doge dogi diya di diye lena lene liya li le la laa lana laana laye aa aake aakar aana ' +
    'dijiye kijiye karoge karogi karenge padta padti padega padegi padenge hua hui hue gaya gayi gaye jaata jaati jana ' +
    'mujhe muje mujhko hume humein hamein humko tumhe aapko apko unko lagana lagane lagwana lagwane even karne karni karu karun karoon karke kiya kiye without'
  ).split(/\s+/),
);

export function tokens(text: string): string[] {
  return (
    (
      text
        .toLowerCase()
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        // Other scripts' vowel signs are combining marks that belong to their word ("விலை", "দাম").
        .normalize('NFC')
        // "2bhk" reads "2 bhk" and "5pm" "5 pm", as documents write them.
        .replace(/(\d)([a-z]{2,})\b/g, '$1 $2')
        .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
    ).filter((t) => t.length > 1 || /\d/.test(t))
  );
}

export function contentTokens(text: string): string[] {
  return [...new Set(tokens(text).filter((t) => !stopwords.has(t)))];
}

/**
 * A light stem so "bookings"/"booking"/"booked", "opens"/"open" and "cancellation"/"cancel"
 * meet (a final doubled consonant is dropped: "cancell" reads "cancel").
 */
export function stem(t: string): string {
  // "move" meets "moving" and "make" "making": a short word's silent e goes as a long word's does.
  if (t.length === 4 && /[b-df-hj-np-tv-z]e$/.test(t) && !/\d/.test(t)) return t.slice(0, 3);
  if (t.length <= 4 || /\d/.test(t)) return t;
  let s = t
    .replace(/(ations|ation|ions|ion|ings|ing|edly|ed|ly)$/, '')
    .replace(/ies$/, 'y')
    .replace(/(ss|x|z|ch|sh)es$/, '$1')
    .replace(/([^s])s$/, '$1')
    .replace(/e$/, '');
  if (s.length < 3) s = t;
  // "stopped" reads "stop" and "cancelled" "cancel", but "classes" stays "class" and "called" "call".
  const doubled = s !== t && /([b-df-hj-np-rtv-z])\1$/.test(s) && !(s.endsWith('ll') && s.length <= 5);
  return doubled ? s.slice(0, -1) : s;
}
