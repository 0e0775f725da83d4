-- 0017_order_room.sql - the order room (src/orders/room.c, lifecycle.c).
--
-- An extra revision bought after the package's revisions are used up is a
-- change order priced at the gig's extra_revision extra: created accepted
-- by the buyer, paid into the order's escrow like any change order, and
-- once paid it adds extra_revisions to orders.revisions_allowed instead of
-- sending the order back to work (orders_change_order_paid).
ALTER TABLE order_change_orders
	ADD COLUMN extra_revisions INT NOT NULL DEFAULT 0
		CHECK (extra_revisions BETWEEN 0 AND 10);
