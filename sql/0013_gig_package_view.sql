-- The packages of a gig as its page shows them (templates/README.md, gig.packages),
-- shared by the public gig page, the studio preview and the moderation page.
CREATE FUNCTION gig_packages_json(gig BIGINT, lang TEXT) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT coalesce(json_agg(json_build_object(
		'tier', k.tier,
		'tier_label', CASE WHEN lang = 'zh-CN'
			THEN CASE k.tier WHEN 'basic' THEN '基础' WHEN 'standard' THEN '标准' ELSE '高级' END
			ELSE CASE k.tier WHEN 'basic' THEN 'Basic' WHEN 'standard' THEN 'Standard' ELSE 'Premium' END
			END,
		'name', k.name, 'description', k.description,
		'price', souk_money(k.price_minor, k.currency, lang),
		'price_minor', k.price_minor, 'currency', k.currency,
		'delivery_days', k.delivery_days, 'revisions', k.revisions,
		'revisions_label', CASE WHEN k.revisions = -1
			THEN CASE WHEN lang = 'zh-CN' THEN '不限' ELSE 'Unlimited' END
			ELSE k.revisions::text END,
		'features', to_json(k.features))
		ORDER BY array_position(ARRAY['basic', 'standard', 'premium'], k.tier)), '[]')
	FROM gig_packages k WHERE k.gig_id = gig
$$;
