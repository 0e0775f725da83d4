-- 0019_labels.sql - the English or Chinese labels the queries show, as SQL
-- functions shared by every src/*/*_db.c (they replace the LOC,
-- TIER_LABEL, LEVEL_LABEL and LANG_LEVEL_LABEL macros each file had).
--
-- Applied by `soukctl migrate` inside one transaction (no BEGIN/COMMIT here).
--
-- lang is the normalised UI language: 'zh-CN' for Chinese, anything else
-- (normally 'en') for English.  The functions are IMMUTABLE LANGUAGE sql
-- with a single expression, so the planner inlines them: a query costs the
-- same as with the CASE written out.

-- souk_loc(en, zh, lang) - @zh when lang is 'zh-CN', else @en (NULL stays
-- NULL: callers coalesce when a translation may be missing).
CREATE FUNCTION souk_loc(en TEXT, zh TEXT, lang TEXT) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN lang = 'zh-CN' THEN zh ELSE en END
$$;

-- souk_tier_label(tier, lang) - the name of a package tier ('basic',
-- 'standard', anything else is 'premium').
CREATE FUNCTION souk_tier_label(tier TEXT, lang TEXT) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE tier
		WHEN 'basic' THEN souk_loc('Basic', '基础', lang)
		WHEN 'standard' THEN souk_loc('Standard', '标准', lang)
		ELSE souk_loc('Premium', '高级', lang) END
$$;

-- souk_level_label(level, lang) - the name of a seller level
-- (profiles.seller_level; anything else, NULL included, is a new seller).
CREATE FUNCTION souk_level_label(level TEXT, lang TEXT) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE level
		WHEN 'level_1' THEN souk_loc('Level 1', '一级卖家', lang)
		WHEN 'level_2' THEN souk_loc('Level 2', '二级卖家', lang)
		WHEN 'top_rated' THEN souk_loc('Top Rated', '顶级卖家', lang)
		ELSE souk_loc('New seller', '新卖家', lang) END
$$;

-- souk_lang_level_label(level, lang) - the name of a language level of
-- profiles.languages; an unknown level is shown as it is.
CREATE FUNCTION souk_lang_level_label(level TEXT, lang TEXT) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE level
		WHEN 'native' THEN souk_loc('Native or bilingual', '母语', lang)
		WHEN 'fluent' THEN souk_loc('Fluent', '流利', lang)
		WHEN 'conversational' THEN souk_loc('Conversational', '日常会话', lang)
		WHEN 'basic' THEN souk_loc('Basic', '基础', lang)
		ELSE level END
$$;
