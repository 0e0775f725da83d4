-- Payouts (src/payouts): which payouts of a weekly batch are in its
-- bank-transfer file, so that FINANCE marking the file paid pays exactly
-- those, never a gateway payout of the same batch still being retried.
ALTER TABLE payouts ADD COLUMN in_bank_file BOOLEAN NOT NULL DEFAULT false;

-- payout_batches.bank_file holds the CSV sealed with the server key
-- (src/core/secretbox.h), never the account numbers in clear.
COMMENT ON COLUMN payout_batches.bank_file IS
	'the bank-transfer CSV sealed with the server key (secretbox, base64url)';
