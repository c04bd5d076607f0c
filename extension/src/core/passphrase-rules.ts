// Passphrase rules shared by the pages and the background, kept apart from the crypto so that
// the popup bundle does not pull it in for a constant.
export const MIN_PASSPHRASE_LENGTH = 10;
