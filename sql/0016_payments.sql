-- 0016_payments.sql - checkout and payment processing (src/payments).
--
-- A payment paid entirely with buyer credit (gateway 'credit') charges
-- nothing through a gateway: amount_minor 0, credit_minor the total.  Every
-- other payment charges something through its gateway.
ALTER TABLE payments DROP CONSTRAINT payments_amount_minor_check;
ALTER TABLE payments ADD CONSTRAINT payments_amount_minor_check
	CHECK (amount_minor > 0 OR (gateway = 'credit' AND amount_minor = 0));
ALTER TABLE payments ADD CONSTRAINT payments_something_check
	CHECK (amount_minor + credit_minor > 0);

-- Attempts of the refund job (src/payments "refund"): after the last one a
-- refund the gateway never confirmed becomes buyer credit.
ALTER TABLE refunds ADD COLUMN attempts INT NOT NULL DEFAULT 0 CHECK (attempts >= 0);
