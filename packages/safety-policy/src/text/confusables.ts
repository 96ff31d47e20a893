/**
 * Characters that render like a Latin letter but are not one, mapped to that letter.
 * NFKC already folds fullwidth forms, mathematical alphanumerics, ligatures and the long s;
 * this table covers what NFKC leaves alone: Cyrillic, Greek and Armenian look-alikes and a
 * few Latin variants. It is a curated subset of Unicode's confusables.txt (TR39), limited
 * to letters that pass for ASCII letters in ordinary fonts.
 */
export const CONFUSABLES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // Cyrillic capitals
    '\u0410': 'A', '\u0412': 'B', '\u0415': 'E', '\u041A': 'K', '\u041C': 'M', '\u041D': 'H',
    '\u041E': 'O', '\u0420': 'P', '\u0421': 'C', '\u0422': 'T', '\u0425': 'X', '\u0423': 'Y',
    '\u0406': 'I', '\u0408': 'J', '\u0405': 'S', '\u051A': 'Q', '\u051C': 'W', '\u04AE': 'Y',
    '\u04C0': 'I', '\u0417': '3',
    // Cyrillic small letters
    '\u0430': 'a', '\u0435': 'e', '\u043E': 'o', '\u0440': 'p', '\u0441': 'c', '\u0443': 'y',
    '\u0445': 'x', '\u0456': 'i', '\u0458': 'j', '\u0455': 's', '\u051B': 'q', '\u051D': 'w',
    '\u04BB': 'h', '\u04CF': 'l', '\u04AF': 'y', '\u0475': 'v', '\u0501': 'd', '\u0454': 'e',
    '\u0457': 'i', '\u045E': 'y', '\u0491': 'r',
    // Greek capitals
    '\u0391': 'A', '\u0392': 'B', '\u0395': 'E', '\u0396': 'Z', '\u0397': 'H', '\u0399': 'I',
    '\u039A': 'K', '\u039C': 'M', '\u039D': 'N', '\u039F': 'O', '\u03A1': 'P', '\u03A4': 'T',
    '\u03A5': 'Y', '\u03A7': 'X',
    // Greek small letters
    '\u03B1': 'a', '\u03BF': 'o', '\u03C1': 'p', '\u03BD': 'v', '\u03B9': 'i', '\u03BA': 'k',
    '\u03C5': 'u', '\u03C7': 'x', '\u03B3': 'y', '\u03F2': 'c', '\u03F3': 'j',
    // Armenian
    '\u0585': 'o', '\u057D': 'u', '\u0570': 'h', '\u0578': 'n', '\u0561': 'w', '\u0563': 'q',
    // Latin variants NFKC keeps
    '\u0131': 'i', '\u0237': 'j', '\u0261': 'g', '\u0251': 'a', '\u0269': 'i', '\u028F': 'y',
    '\u1D00': 'A', '\u0299': 'B', '\u1D04': 'C', '\u1D05': 'D', '\u1D07': 'E', '\u0262': 'G',
    '\u029C': 'H', '\u026A': 'I', '\u1D0A': 'J', '\u1D0B': 'K', '\u029F': 'L', '\u1D0D': 'M',
    '\u0274': 'N', '\u1D0F': 'O', '\u1D18': 'P', '\u0280': 'R', '\u1D1B': 'T', '\u1D1C': 'U',
    '\u1D20': 'V', '\u1D21': 'W', '\u1D22': 'Z',
  }),
);
