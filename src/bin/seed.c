/*
 * seed.c - the deterministic demo catalog (see seed.h).
 *
 * The catalog is generated from three tables: second-level categories
 * (what a gig in each one says, in English and Chinese, and what it
 * costs), countries (names, cities, languages, currency of its sellers)
 * and a few shared texts (FAQ, package names, paragraphs).  Every random
 * choice comes from one splitmix64 stream with a fixed seed, consumed in
 * a fixed order, so the output never changes between runs or machines.
 *
 * Texts in the tables are '|'-separated lists.  For a category, the
 * English and Chinese lists run in parallel (item i of one translates
 * item i of the other), so a Chinese gig has an English twin, which gives
 * it an ASCII slug.  Title patterns contain {a} (an adjective) and {o}
 * (who the work is for); English "a" becomes "an" before a vowel sound.
 *
 * Loading: rows are written in COPY text format into heap buffers and
 * streamed with PQputCopyData into temporary tables, then moved into the
 * real tables by a few INSERT ... SELECT statements that resolve handles,
 * slugs and category slugs into ids; all in one transaction.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "bin/seed.h"
#include "core/buf.h"
#include "core/log.h"

#define SEED_SELLERS	320
#define SEED_GIGS	3600
#define SEED_PRNG	0x50756b5365656401ULL	/* "SoukSeed" */
#define DEMO_DOMAIN	"demo.souk.invalid"

/* 2025-07-01 00:00:00 UTC: the demo's "now"; no date goes past it. */
#define SEED_NOW	1751328000LL
#define DAY_S		86400LL

/* ------------------------------------------------------------------ */
/* Data: second-level categories                                       */
/* ------------------------------------------------------------------ */

/*
 * What gigs of one category look like.  [0] is English, [1] Chinese.
 * title: 3 patterns; adj, obj: 4 each; tags: 4; feat: 6, read as basic
 * scope, basic extra, standard scope, standard extra, premium scope,
 * premium extra.
 */
struct sub {
	const char *slug;	/* categories.slug of sql/0002 */
	int weight;		/* relative number of gigs */
	int price;		/* typical basic price, whole US dollars */
	int days;		/* typical basic delivery time, days */
	const char *role[2];	/* the seller's trade, lower case ("logo designer") */
	const char *pitch[2];	/* one sentence selling the service */
	const char *title[2];
	const char *adj[2];
	const char *obj[2];
	const char *tags[2];
	const char *feat[2];
};

static const struct sub subs[] = {
{ "logo-design", 14, 35, 3,
  { "logo and brand identity designer", "标志与品牌形象设计师" },
  { "I create clean, memorable logos that look great on a business card and on a billboard.",
    "我设计简洁、易记的标志，无论印在名片上还是广告牌上都同样出色。" },
  { "I will design a {a} logo for your {o}|I will create a {a} logo and brand identity for your {o}|I will design {a} logo concepts for your {o}",
    "我将为您的{o}设计{a}标志|我将为您的{o}打造{a}标志与品牌形象|我将为您的{o}提供{a}标志设计方案" },
  { "modern minimalist|professional|luxury|playful hand-drawn", "现代简约|专业|高端奢华|手绘趣味" },
  { "brand|startup|business|restaurant", "品牌|初创公司|企业|餐厅" },
  { "logo design|minimalist logo|brand identity|logo", "标志设计|简约标志|品牌形象|商标设计" },
  { "1 logo concept|High-resolution JPG and transparent PNG|3 logo concepts|Vector source files (AI, EPS, SVG)|5 logo concepts|Social media kit and stationery designs",
    "1 个标志方案|高清 JPG 与透明背景 PNG|3 个标志方案|矢量源文件（AI、EPS、SVG）|5 个标志方案|社交媒体套件与办公用品设计" } },
{ "brand-style-guides", 4, 90, 5,
  { "brand strategist and designer", "品牌策略与设计师" },
  { "I turn your logo into a complete brand system with colours, fonts and clear usage rules.",
    "我将您的标志扩展为完整的品牌体系，包括配色、字体和清晰的使用规范。" },
  { "I will create a {a} brand style guide for your {o}|I will design a {a} brand book for your {o}|I will build a {a} visual identity system for your {o}",
    "我将为您的{o}制作{a}品牌风格指南|我将为您的{o}设计{a}品牌手册|我将为您的{o}打造{a}视觉识别系统" },
  { "complete|professional|modern|detailed", "完整的|专业的|现代的|详尽的" },
  { "brand|company|startup|agency", "品牌|公司|初创企业|代理机构" },
  { "brand guidelines|style guide|brand identity|brand book", "品牌指南|风格指南|品牌形象|品牌手册" },
  { "5-page style guide|Colour palette and typography|12-page brand guide|Logo usage rules|25-page brand book|Templates and editable source files",
    "5 页风格指南|配色方案与字体规范|12 页品牌指南|标志使用规范|25 页品牌手册|模板及可编辑源文件" } },
{ "business-cards-stationery", 4, 15, 2,
  { "print designer", "印刷品设计师" },
  { "I design print-ready business cards and stationery that make a strong first impression.",
    "我设计可直接印刷的名片和办公用品，让您给人留下深刻的第一印象。" },
  { "I will design {a} business cards for your {o}|I will create {a} business cards and stationery for your {o}|I will design a {a} letterhead and business card for your {o}",
    "我将为您的{o}设计{a}名片|我将为您的{o}设计{a}名片与办公用品|我将为您的{o}设计{a}信纸与名片" },
  { "elegant|modern|minimalist|luxury", "典雅|现代|简约|高端" },
  { "business|company|law firm|real estate agency", "企业|公司|律师事务所|房地产中介" },
  { "business card|stationery|letterhead|print design", "名片设计|办公用品|信纸设计|印刷设计" },
  { "1 double-sided business card|Print-ready PDF|2 business card concepts|Letterhead design|Full stationery set|Envelope, email signature and source files",
    "1 款双面名片|可直接印刷的 PDF|2 个名片方案|信纸设计|全套办公用品设计|信封、邮件签名及源文件" } },
{ "illustration", 6, 40, 4,
  { "illustrator", "插画师" },
  { "I draw detailed illustrations by hand and digitally, in a style that fits your story.",
    "我擅长手绘和数字插画，风格贴合您的故事。" },
  { "I will draw a {a} illustration for your {o}|I will create {a} illustrations for your {o}|I will illustrate {a} characters for your {o}",
    "我将为您的{o}绘制{a}插画|我将为您的{o}创作{a}插图|我将为您的{o}设计{a}角色形象" },
  { "colourful|detailed digital|cute cartoon|watercolour", "色彩丰富的|精细的数字|可爱卡通风格的|水彩风格的" },
  { "children's book|website|product|book cover", "儿童绘本|网站|产品|书籍封面" },
  { "illustration|digital art|character design|children's book", "插画|数字绘画|角色设计|儿童绘本" },
  { "1 illustration|Commercial use licence|3 illustrations|Full colour with background|6 illustrations|Print-ready files and process sketches",
    "1 幅插画|商业使用授权|3 幅插画|全彩及背景|6 幅插画|可印刷文件及草图过程" } },
{ "website-design", 5, 60, 5,
  { "UI/UX and web designer", "UI/UX 与网页设计师" },
  { "I design clear, modern websites in Figma that are easy to use and easy to build.",
    "我使用 Figma 设计清晰、现代、易用且便于开发的网站。" },
  { "I will design a {a} website for your {o}|I will create a {a} landing page design for your {o}|I will design a {a} UI/UX in Figma for your {o}",
    "我将为您的{o}设计{a}网站|我将为您的{o}设计{a}落地页|我将用 Figma 为您的{o}设计{a}界面" },
  { "modern|responsive|clean|conversion-focused", "现代|响应式|简洁|高转化" },
  { "business|SaaS product|portfolio|online store", "企业|SaaS 产品|作品集|网店" },
  { "website design|Figma|UI/UX|landing page", "网页设计|Figma|UI/UX|落地页" },
  { "1 page design|Desktop and mobile layouts|Up to 5 pages|Clickable prototype|Up to 12 pages|Design system and developer hand-off",
    "1 个页面设计|桌面端与移动端布局|最多 5 个页面|可点击原型|最多 12 个页面|设计系统与开发交付" } },
{ "social-media-design", 4, 20, 2,
  { "social media designer", "社交媒体设计师" },
  { "I design scroll-stopping posts, stories and covers that match your brand.",
    "我设计与您品牌风格一致、吸引眼球的帖子、快拍和封面。" },
  { "I will design {a} social media posts for your {o}|I will create {a} Instagram templates for your {o}|I will design {a} social media banners for your {o}",
    "我将为您的{o}设计{a}社交媒体帖子|我将为您的{o}制作{a}小红书图文模板|我将为您的{o}设计{a}社交媒体横幅" },
  { "eye-catching|branded|modern|editable Canva", "吸睛的|品牌化的|现代风格|可编辑的" },
  { "brand|business|shop|coaching business", "品牌|企业|店铺|培训业务" },
  { "social media design|Instagram post|Canva template|banner design", "社交媒体设计|小红书|图文模板|横幅设计" },
  { "5 post designs|Source files|10 post designs|Story versions|20 post designs|Editable Canva templates",
    "5 张帖子设计|源文件|10 张帖子设计|快拍尺寸版本|20 张帖子设计|可编辑 Canva 模板" } },
{ "packaging-design", 3, 80, 5,
  { "packaging designer", "包装设计师" },
  { "I design packaging and labels that stand out on the shelf and are ready for the printer.",
    "我设计在货架上脱颖而出、可直接交付印刷的包装和标签。" },
  { "I will design {a} packaging for your {o}|I will create a {a} product label for your {o}|I will design a {a} box and label for your {o}",
    "我将为您的{o}设计{a}包装|我将为您的{o}设计{a}产品标签|我将为您的{o}设计{a}包装盒与标签" },
  { "premium|eco-friendly|modern|bold", "高端|环保风格|现代|醒目" },
  { "product|coffee brand|cosmetics line|food brand", "产品|咖啡品牌|化妆品系列|食品品牌" },
  { "packaging design|label design|box design|product packaging", "包装设计|标签设计|包装盒设计|产品包装" },
  { "1 label or packaging concept|Print-ready dieline|2 concepts|3D mockup|Full packaging range|Printer liaison and source files",
    "1 个标签或包装方案|可印刷刀版图|2 个设计方案|3D 效果图|全系列包装设计|对接印厂及源文件" } },
{ "website-development", 9, 150, 7,
  { "full-stack web developer", "全栈网站开发工程师" },
  { "I build fast, secure websites with clean code that you can grow with.",
    "我用整洁的代码开发快速、安全、便于扩展的网站。" },
  { "I will build a {a} website for your {o}|I will develop a {a} web application for your {o}|I will fix bugs and improve your {o} website",
    "我将为您的{o}开发{a}网站|我将为您的{o}开发{a}网页应用|我将修复并优化您的{o}网站" },
  { "fast responsive|custom|modern React|secure", "快速响应式|定制|现代 React|安全可靠的" },
  { "business|startup|agency|school", "企业|初创公司|代理机构|学校" },
  { "website development|React|Node.js|web developer", "网站开发|React|Node.js|前端开发" },
  { "1 responsive page|Contact form|Up to 5 pages|Content management|Up to 10 pages with a database|Deployment, SEO set-up and 30 days of support",
    "1 个响应式页面|联系表单|最多 5 个页面|内容管理功能|最多 10 个页面及数据库|上线部署、SEO 设置及 30 天技术支持" } },
{ "wordpress", 7, 80, 4,
  { "WordPress developer", "WordPress 开发工程师" },
  { "I build and fix WordPress sites that are fast, secure and easy for you to update.",
    "我搭建和修复 WordPress 网站，速度快、安全且便于您自行更新。" },
  { "I will build a {a} WordPress website for your {o}|I will fix WordPress errors and speed up your {o} site|I will create a {a} WordPress blog for your {o}",
    "我将为您的{o}搭建{a} WordPress 网站|我将修复 WordPress 错误并提升您的{o}网站速度|我将为您的{o}创建{a} WordPress 博客" },
  { "professional|responsive|Elementor|fast-loading", "专业的|响应式|基于 Elementor 的|快速加载的" },
  { "business|blog|restaurant|nonprofit", "企业|博客|餐厅|公益组织" },
  { "WordPress|Elementor|WordPress website|WooCommerce", "WordPress|Elementor|建站|网站维护" },
  { "1 page set-up|Theme installation|Up to 5 pages|Speed optimization|Up to 10 pages|Security hardening and a training video",
    "1 个页面搭建|主题安装|最多 5 个页面|速度优化|最多 10 个页面|安全加固及使用培训视频" } },
{ "ecommerce-development", 6, 120, 6,
  { "e-commerce developer", "电商开发工程师" },
  { "I build online stores that load fast, look great and turn visitors into customers.",
    "我搭建加载快速、美观且能把访客变成顾客的网店。" },
  { "I will build a {a} Shopify store for your {o}|I will create a {a} WooCommerce store for your {o}|I will set up a {a} online store for your {o}",
    "我将为您的{o}搭建{a} Shopify 店铺|我将为您的{o}开发{a} WooCommerce 网店|我将为您的{o}搭建{a}在线商店" },
  { "high-converting|professional|dropshipping|custom", "高转化|专业|一件代发|定制" },
  { "brand|fashion business|small business|product line", "品牌|服装生意|小微企业|产品线" },
  { "Shopify|WooCommerce|online store|e-commerce", "Shopify|WooCommerce|网店搭建|跨境电商" },
  { "Store set-up with 10 products|Payment gateway|50 products imported|Custom theme|200 products imported|App integrations and 30 days of support",
    "店铺搭建及 10 个商品上架|支付网关接入|导入 50 个商品|定制主题|导入 200 个商品|应用集成及 30 天支持" } },
{ "mobile-app-development", 6, 300, 10,
  { "mobile app developer", "移动应用开发工程师" },
  { "I build polished iOS and Android apps with Flutter and React Native, from idea to app store.",
    "我使用 Flutter 和 React Native 开发精致的 iOS 与安卓应用，从创意到上架一站完成。" },
  { "I will develop a {a} mobile app for your {o}|I will build a {a} iOS and Android app for your {o}|I will create a {a} Flutter app for your {o}",
    "我将为您的{o}开发{a}移动应用|我将为您的{o}开发{a} iOS 与安卓应用|我将为您的{o}开发{a} Flutter 应用" },
  { "cross-platform|native|user-friendly|custom", "跨平台|原生|易用的|定制" },
  { "startup|business|restaurant|fitness brand", "初创公司|企业|餐厅|健身品牌" },
  { "mobile app|Flutter|React Native|iOS app", "移动应用开发|Flutter|小程序|安卓应用" },
  { "Up to 3 screens|Source code|Up to 8 screens|API integration|Up to 15 screens with a backend|App store publishing",
    "最多 3 个页面|源代码|最多 8 个页面|API 对接|最多 15 个页面及后端|应用商店上架" } },
{ "software-development", 5, 100, 5,
  { "software engineer", "软件工程师" },
  { "I write reliable software, scripts and APIs that save you hours of manual work.",
    "我编写可靠的软件、脚本和 API，为您节省大量手工时间。" },
  { "I will develop {a} software for your {o}|I will write a {a} Python script for your {o}|I will build a {a} REST API for your {o}",
    "我将为您的{o}开发{a}软件|我将为您的{o}编写{a} Python 脚本|我将为您的{o}开发{a} REST API" },
  { "custom|reliable|scalable|automated", "定制|可靠的|可扩展的|自动化" },
  { "business|team|workflow|project", "企业|团队|工作流程|项目" },
  { "Python|software development|API|automation", "Python|软件开发|API 开发|自动化" },
  { "Simple script or module|Source code|Documented application|Unit tests|Full application with a database|Deployment and 30 days of support",
    "简单脚本或模块|源代码|带文档的应用程序|单元测试|完整应用及数据库|部署及 30 天支持" } },
{ "game-development", 3, 150, 10,
  { "game developer", "游戏开发工程师" },
  { "I make fun, polished games in Unity and Godot, from prototypes to finished releases.",
    "我使用 Unity 和 Godot 制作有趣、精致的游戏，从原型到正式发布。" },
  { "I will develop a {a} Unity game for your {o}|I will create a {a} 2D game for your {o}|I will build a {a} game prototype for your {o}",
    "我将为您的{o}开发{a} Unity 游戏|我将为您的{o}制作{a} 2D 游戏|我将为您的{o}开发{a}游戏原型" },
  { "casual mobile|multiplayer|hyper-casual|retro pixel art", "休闲手机|多人联机|超休闲|复古像素风" },
  { "studio|brand|idea|classroom", "工作室|品牌|创意|课堂" },
  { "Unity|game development|2D game|mobile game", "Unity|游戏开发|2D 游戏|手机游戏" },
  { "1 level prototype|Source project|3 levels|Menus and scoring|Full game with 10 levels|Store build and publishing",
    "1 个关卡原型|工程源文件|3 个关卡|菜单与计分系统|包含 10 个关卡的完整游戏|打包及商店上架" } },
{ "devops-cloud", 3, 80, 3,
  { "DevOps and cloud engineer", "运维与云计算工程师" },
  { "I set up servers, containers and CI/CD pipelines so your software ships safely and often.",
    "我搭建服务器、容器和 CI/CD 流水线，让您的软件安全、频繁地发布。" },
  { "I will set up {a} CI/CD pipelines for your {o}|I will deploy your {o} on a {a} AWS setup|I will dockerize your {o} with a {a} setup",
    "我将为您的{o}搭建{a} CI/CD 流水线|我将把您的{o}部署到{a}阿里云环境|我将用{a}方案为您的{o}实现 Docker 容器化" },
  { "secure|automated|scalable|cost-efficient", "安全的|自动化的|可扩展的|高性价比的" },
  { "app|website|API|project", "应用|网站|API|项目" },
  { "DevOps|AWS|Docker|CI/CD", "运维|阿里云|Docker|CI/CD" },
  { "1 server or service|Set-up notes|CI/CD pipeline|Monitoring and alerts|Infrastructure as code|Backups, scaling and a handover session",
    "1 台服务器或 1 项服务|配置说明文档|CI/CD 流水线|监控与告警|基础设施即代码|备份、扩容及交接培训" } },
{ "cybersecurity", 2, 100, 4,
  { "security consultant", "网络安全顾问" },
  { "I find and fix security holes before attackers do, and explain every finding in plain language.",
    "我会抢在攻击者之前发现并修复安全漏洞，并用通俗的语言解释每一项发现。" },
  { "I will do a {a} security audit of your {o}|I will remove malware and secure your {o}|I will run a {a} penetration test on your {o}",
    "我将为您的{o}进行{a}安全审计|我将清除恶意软件并加固您的{o}|我将对您的{o}进行{a}渗透测试" },
  { "thorough|professional|detailed|fast", "全面的|专业的|详尽的|快速的" },
  { "website|web app|WordPress site|network", "网站|网页应用|WordPress 网站|网络" },
  { "cybersecurity|penetration testing|malware removal|security audit", "网络安全|渗透测试|恶意软件清除|安全审计" },
  { "Vulnerability scan|Summary report|Manual testing|Fix recommendations|Full penetration test|Retest after fixes",
    "漏洞扫描|总结报告|人工测试|修复建议|完整渗透测试|修复后复测" } },
{ "seo", 8, 50, 5,
  { "SEO specialist", "搜索引擎优化专家" },
  { "I help websites climb the search results with honest, white-hat SEO and clear monthly reports.",
    "我用正规的白帽 SEO 帮助网站提升搜索排名，并提供清晰的月度报告。" },
  { "I will do {a} on-page SEO for your {o}|I will build {a} backlinks for your {o}|I will do a {a} SEO audit of your {o}",
    "我将为您的{o}进行{a}站内 SEO 优化|我将为您的{o}建设{a}外链|我将为您的{o}进行{a} SEO 诊断" },
  { "complete|white-hat|monthly|local", "全面的|白帽|按月持续的|本地化" },
  { "website|online store|blog|local business", "网站|网店|博客|本地商家" },
  { "SEO|on-page SEO|backlinks|keyword research", "SEO|搜索排名|外链建设|关键词研究" },
  { "SEO audit of 5 pages|Keyword research|On-page optimization of 10 pages|Technical SEO fixes|Full-site optimization and backlinks|Monthly ranking report",
    "5 个页面的 SEO 诊断|关键词研究|10 个页面的站内优化|技术 SEO 修复|全站优化与外链建设|月度排名报告" } },
{ "social-media-marketing", 6, 60, 7,
  { "social media manager", "社交媒体运营" },
  { "I plan, create and schedule content that grows real followers and real sales.",
    "我策划、制作并排期发布内容，带来真实的粉丝和真实的销量。" },
  { "I will manage {a} social media for your {o}|I will grow your {o} on Instagram with {a} content|I will create a {a} social media strategy for your {o}",
    "我将为您的{o}提供{a}社交媒体代运营|我将用{a}内容帮您的{o}在抖音上涨粉|我将为您的{o}制定{a}社交媒体策略" },
  { "engaging|organic|data-driven|creative", "有吸引力的|自然增长的|数据驱动的|富有创意的" },
  { "brand|business|restaurant|online shop", "品牌|企业|餐厅|网店" },
  { "social media marketing|Instagram|TikTok|content calendar", "社交媒体营销|抖音|小红书|内容日历" },
  { "8 posts per month|Content calendar|16 posts per month|Community management|30 posts per month|Paid ads and a monthly analytics report",
    "每月 8 篇帖子|内容日历|每月 16 篇帖子|社群互动管理|每月 30 篇帖子|付费广告投放及月度数据报告" } },
{ "search-engine-marketing", 3, 100, 4,
  { "paid search specialist", "搜索广告投放专家" },
  { "I build search ad campaigns that bring qualified leads at a cost you can afford.",
    "我搭建搜索广告活动，以您能承受的成本带来高质量的潜在客户。" },
  { "I will set up {a} Google Ads campaigns for your {o}|I will manage and optimize {a} Google Ads for your {o}|I will write {a} search ads for your {o}",
    "我将为您的{o}搭建{a}百度推广账户|我将为您的{o}管理并优化{a}搜索广告|我将为您的{o}撰写{a}搜索广告" },
  { "profitable|high-converting|targeted|cost-effective", "高回报的|高转化的|精准的|高性价比的" },
  { "business|online store|law firm|clinic", "企业|网店|律师事务所|诊所" },
  { "Google Ads|PPC|SEM|search ads", "百度推广|竞价广告|SEM|搜索广告" },
  { "1 campaign set-up|Keyword research|3 campaigns|Ad copy and extensions|6 campaigns|Conversion tracking and 30 days of optimization",
    "搭建 1 个推广计划|关键词研究|3 个推广计划|广告文案与附加信息|6 个推广计划|转化跟踪及 30 天优化" } },
{ "email-marketing", 3, 60, 4,
  { "e-mail marketing specialist", "邮件营销专家" },
  { "I write and automate e-mails that people actually open, read and click.",
    "我撰写并自动化发送真正被打开、阅读和点击的邮件。" },
  { "I will set up {a} Mailchimp automations for your {o}|I will write {a} email newsletters for your {o}|I will design a {a} email campaign for your {o}",
    "我将为您的{o}设置{a} Mailchimp 自动化流程|我将为您的{o}撰写{a}电子报|我将为您的{o}设计{a}邮件营销活动" },
  { "high-converting|engaging|automated|personalised", "高转化的|引人入胜的|自动化的|个性化的" },
  { "online store|newsletter|course|business", "网店|电子报|课程|企业" },
  { "email marketing|Mailchimp|Klaviyo|newsletter", "邮件营销|Mailchimp|电子报|营销自动化" },
  { "1 e-mail template|List set-up|Welcome sequence of 3 e-mails|Segmentation|Full automation flows|A/B testing and reporting",
    "1 个邮件模板|联系人列表设置|3 封欢迎邮件序列|用户分群|完整自动化流程|A/B 测试及报告" } },
{ "content-marketing", 3, 80, 5,
  { "content strategist", "内容营销策划" },
  { "I plan content that answers your customers' questions and brings them back for more.",
    "我策划能解答客户疑问、让他们不断回访的内容。" },
  { "I will create a {a} content marketing strategy for your {o}|I will plan {a} content for your {o}|I will write a {a} content calendar for your {o}",
    "我将为您的{o}制定{a}内容营销策略|我将为您的{o}策划{a}内容|我将为您的{o}编写{a}内容日历" },
  { "results-driven|search-focused|complete|90-day", "注重效果的|面向搜索的|完整的|90 天" },
  { "brand|SaaS company|blog|small business", "品牌|SaaS 公司|博客|小微企业" },
  { "content marketing|content strategy|content calendar|blog strategy", "内容营销|内容策略|内容日历|公众号运营" },
  { "20 topic ideas|Audience research|1-month content calendar|Distribution plan|3-month strategy|Competitor analysis and KPI dashboard",
    "20 个选题|受众调研|1 个月内容日历|分发计划|3 个月内容策略|竞品分析及 KPI 看板" } },
{ "articles-blog-posts", 7, 30, 3,
  { "content writer", "内容写手" },
  { "I write well-researched, easy-to-read articles that rank on search engines and keep readers engaged.",
    "我撰写资料翔实、通俗易读的文章，既利于搜索排名，也能留住读者。" },
  { "I will write {a} blog posts for your {o}|I will write a {a} article for your {o}|I will write {a} website content for your {o}",
    "我将为您的{o}撰写{a}博客文章|我将为您的{o}撰写{a}文章|我将为您的{o}撰写{a}网站内容" },
  { "engaging|well-researched|keyword-rich|in-depth", "引人入胜的|资料翔实的|关键词丰富的|深度" },
  { "website|blog|business|tech company", "网站|博客|企业|科技公司" },
  { "blog writing|article writing|SEO writing|content writing", "博客写作|文章撰写|SEO 写作|公众号文章" },
  { "500-word article|Topic research|1000-word article|Keyword optimization|2000-word article|Images and meta description",
    "500 字文章|选题调研|1000 字文章|关键词优化|2000 字文章|配图与摘要描述" } },
{ "translation", 7, 20, 2,
  { "professional translator", "专业翻译" },
  { "I translate the meaning and tone of the original, never word for word.",
    "我的翻译忠实传达原文的含义和语气，绝不逐字硬译。" },
  { "I will provide {a} English to Chinese translation of your {o}|I will do {a} Chinese to English translation of your {o}|I will deliver {a} Afrikaans and English translation of your {o}",
    "我将为您的{o}提供{a}英译中翻译|我将为您的{o}提供{a}中译英翻译|我将为您的{o}提供{a}中日互译" },
  { "accurate|natural|professional|human", "准确的|地道的|专业的|人工" },
  { "website|documents|app|book", "网站|文件|应用|书籍" },
  { "translation|English to Chinese|Chinese to English|localization", "翻译|英译中|中译英|本地化" },
  { "Up to 500 words|Proofread by the translator|Up to 1500 words|Terminology list|Up to 5000 words|Second-linguist review",
    "最多 500 字|译者自校|最多 1500 字|术语表|最多 5000 字|第二译员审校" } },
{ "proofreading-editing", 4, 15, 2,
  { "editor and proofreader", "编辑与校对" },
  { "I polish your writing so it reads clearly and correctly, while keeping your voice.",
    "我会润色您的文字，使其清晰准确，同时保留您的个人风格。" },
  { "I will proofread and edit your {o}|I will do {a} proofreading of your {o}|I will do {a} copy editing of your {o}",
    "我将校对并编辑您的{o}|我将为您的{o}提供{a}校对服务|我将为您的{o}提供{a}文字编辑服务" },
  { "professional|careful|thorough|fast", "专业的|细致的|全面的|快速的" },
  { "book|thesis|website|business documents", "书稿|论文|网站|商务文件" },
  { "proofreading|editing|copy editing|grammar check", "校对|编辑|文字润色|语法检查" },
  { "Up to 1000 words|Tracked changes|Up to 3000 words|Style and flow edits|Up to 10000 words|Editorial letter with feedback",
    "最多 1000 字|修订痕迹|最多 3000 字|文风与行文润色|最多 10000 字|附详细修改意见书" } },
{ "copywriting", 5, 50, 3,
  { "conversion copywriter", "营销文案" },
  { "I write copy that sounds like you and persuades your readers to take the next step.",
    "我写出贴合您品牌语气、能说服读者采取行动的文案。" },
  { "I will write {a} website copy for your {o}|I will write {a} sales page copy for your {o}|I will write {a} product descriptions for your {o}",
    "我将为您的{o}撰写{a}网站文案|我将为您的{o}撰写{a}销售页文案|我将为您的{o}撰写{a}产品描述" },
  { "persuasive|high-converting|compelling|brand-focused", "有说服力的|高转化的|引人入胜的|贴合品牌的" },
  { "business|online store|startup|coaching program", "企业|网店|初创公司|培训课程" },
  { "copywriting|website copy|sales copy|product description", "文案写作|网站文案|销售文案|产品描述" },
  { "1 page of copy|Headline options|Up to 3 pages|Brand voice guide|Up to 6 pages|E-mail sequence and ad copy",
    "1 个页面文案|多个标题备选|最多 3 个页面|品牌语气指南|最多 6 个页面|邮件序列与广告文案" } },
{ "resume-writing", 3, 40, 3,
  { "career coach and resume writer", "职业规划与简历撰写顾问" },
  { "I write resumes and cover letters that get past screening software and in front of hiring managers.",
    "我撰写能通过筛选系统、送到招聘经理面前的简历和求职信。" },
  { "I will write a {a} resume for your {o}|I will write a {a} resume and cover letter for your {o}|I will optimize your LinkedIn profile for your {o}",
    "我将为您的{o}撰写{a}简历|我将为您的{o}撰写{a}简历与求职信|我将为您的{o}优化领英个人资料" },
  { "professional|ATS-friendly|modern|executive", "专业的|适配招聘系统的|现代风格的|高管级" },
  { "job search|career change|tech career|next role", "求职|转行|科技行业求职|下一份工作" },
  { "resume writing|cover letter|LinkedIn|CV", "简历撰写|求职信|领英|英文简历" },
  { "Resume rewrite|ATS-friendly format|Resume and cover letter|Keyword targeting|Resume, cover letter and LinkedIn profile|Interview preparation call",
    "简历改写|适配招聘系统的格式|简历与求职信|关键词优化|简历、求职信及领英资料|面试辅导通话" } },
{ "technical-writing", 2, 80, 5,
  { "technical writer", "技术文档工程师" },
  { "I turn complex products into clear manuals, guides and API documentation.",
    "我把复杂的产品写成清晰的手册、指南和 API 文档。" },
  { "I will write {a} technical documentation for your {o}|I will write a {a} user manual for your {o}|I will write {a} API documentation for your {o}",
    "我将为您的{o}编写{a}技术文档|我将为您的{o}编写{a}用户手册|我将为您的{o}编写{a} API 文档" },
  { "clear|detailed|developer-friendly|structured", "清晰的|详尽的|对开发者友好的|结构化的" },
  { "software|product|SaaS platform|open source project", "软件|产品|SaaS 平台|开源项目" },
  { "technical writing|documentation|user manual|API docs", "技术写作|技术文档|用户手册|API 文档" },
  { "Up to 5 pages|Markdown or Word|Up to 15 pages|Diagrams|Up to 40 pages|Documentation site set-up",
    "最多 5 页|Markdown 或 Word 格式|最多 15 页|示意图|最多 40 页|文档站点搭建" } },
{ "video-editing", 8, 40, 3,
  { "video editor", "视频剪辑师" },
  { "I edit videos that keep viewers watching, with clean cuts, colour and sound.",
    "我剪辑的视频节奏紧凑、调色与声音讲究，让观众一直看下去。" },
  { "I will edit {a} YouTube videos for your {o}|I will do {a} video editing for your {o}|I will edit a {a} promo video for your {o}",
    "我将为您的{o}剪辑{a} B 站视频|我将为您的{o}提供{a}视频剪辑服务|我将为您的{o}剪辑{a}宣传视频" },
  { "engaging|professional|cinematic|fast-paced", "引人入胜的|专业的|电影感|快节奏的" },
  { "channel|business|event|brand", "频道|企业|活动|品牌" },
  { "video editing|YouTube|Premiere Pro|video editor", "视频剪辑|B站|Premiere|短视频" },
  { "Up to 5 minutes of footage|Cuts and transitions|Up to 15 minutes|Colour grading and music|Up to 30 minutes|Motion graphics and subtitles",
    "最多 5 分钟素材|剪辑与转场|最多 15 分钟|调色与配乐|最多 30 分钟|动态图形与字幕" } },
{ "animated-explainers", 5, 120, 7,
  { "motion designer", "动画设计师" },
  { "I explain your product in a short animated video that people remember.",
    "我用简短的动画视频讲清您的产品，让人过目不忘。" },
  { "I will create a {a} animated explainer video for your {o}|I will make a {a} whiteboard animation for your {o}|I will produce a {a} 2D animation for your {o}",
    "我将为您的{o}制作{a}动画解说视频|我将为您的{o}制作{a}白板动画|我将为您的{o}制作{a} 2D 动画" },
  { "professional|engaging|60-second|custom", "专业的|生动的|60 秒|定制" },
  { "startup|app|product|service", "初创公司|应用|产品|服务" },
  { "explainer video|2D animation|whiteboard animation|motion graphics", "动画解说|2D 动画|白板动画|动态图形" },
  { "30-second animation|Background music|60-second animation|Script writing|90-second animation|Professional voice over and 4K export",
    "30 秒动画|背景音乐|60 秒动画|脚本撰写|90 秒动画|专业配音及 4K 导出" } },
{ "logo-animation", 3, 30, 2,
  { "motion designer", "动效设计师" },
  { "I bring logos to life with smooth motion and sound that fit your brand.",
    "我用流畅的动效和声音让标志活起来，契合您的品牌。" },
  { "I will animate your logo with a {a} intro for your {o}|I will create a {a} logo animation for your {o}|I will make a {a} logo reveal for your {o}",
    "我将为您的{o}制作{a}标志片头动画|我将为您的{o}制作{a}标志动画|我将为您的{o}制作{a}标志揭示动画" },
  { "smooth|3D|minimal|cinematic", "流畅的|3D|简约|电影感" },
  { "YouTube channel|brand|company|podcast", "视频频道|品牌|公司|播客" },
  { "logo animation|intro|logo reveal|motion graphics", "标志动画|片头|标志演绎|动态图形" },
  { "5-second animation|HD export|10-second animation|Sound effects|2 animated versions|4K and transparent background",
    "5 秒动画|高清导出|10 秒动画|音效|2 个动画版本|4K 及透明背景" } },
{ "short-video-ads", 4, 50, 3,
  { "video ad creator", "短视频广告创作者" },
  { "I make short vertical video ads that stop the scroll and drive clicks.",
    "我制作能让人停止滑动、带来点击的竖屏短视频广告。" },
  { "I will create {a} TikTok video ads for your {o}|I will make a {a} UGC video ad for your {o}|I will edit {a} short video ads for your {o}",
    "我将为您的{o}制作{a}抖音广告视频|我将为您的{o}拍摄{a}真人种草视频|我将为您的{o}剪辑{a}短视频广告" },
  { "scroll-stopping|high-converting|authentic|trendy", "抓人眼球的|高转化的|真实自然的|潮流" },
  { "product|brand|app|online store", "产品|品牌|应用|网店" },
  { "video ads|TikTok|UGC|short video", "短视频广告|抖音|种草视频|信息流广告" },
  { "1 video ad up to 30 seconds|Captions|2 video ads|Hook variations|4 video ads|Raw footage and ad copy",
    "1 条 30 秒以内广告视频|字幕|2 条广告视频|多种开头版本|4 条广告视频|原始素材及广告文案" } },
{ "3d-product-animation", 2, 150, 7,
  { "3D artist", "3D 设计师" },
  { "I model, light and animate products in 3D so they look real before they even exist.",
    "我用 3D 建模、打光和动画，让产品在量产之前就栩栩如生。" },
  { "I will create a {a} 3D product animation for your {o}|I will make {a} 3D product renders for your {o}|I will model and render your {o} in {a} 3D",
    "我将为您的{o}制作{a} 3D 产品动画|我将为您的{o}制作{a} 3D 产品渲染图|我将为您的{o}进行{a} 3D 建模与渲染" },
  { "photorealistic|high-quality|cinematic|detailed", "照片级|高品质|电影感|精细的" },
  { "product|gadget|furniture|cosmetics", "产品|数码产品|家具|化妆品" },
  { "3D animation|product render|Blender|3D modeling", "3D 动画|产品渲染|Blender|3D 建模" },
  { "3 still renders|3D model|10-second animation|Custom materials and lighting|30-second animation|4K export and source files",
    "3 张静态渲染图|3D 模型|10 秒动画|定制材质与灯光|30 秒动画|4K 导出及源文件" } },
{ "subtitles-captions", 2, 15, 2,
  { "subtitler", "字幕制作员" },
  { "I add accurate, well-timed subtitles so every viewer can follow your videos.",
    "我为视频添加准确、时间轴精准的字幕，让每位观众都能看懂。" },
  { "I will add {a} subtitles to your {o}|I will create {a} captions for your {o}|I will transcribe your {o} with {a} subtitles",
    "我将为您的{o}添加{a}字幕|我将为您的{o}制作{a}字幕|我将为您的{o}听写并制作{a}字幕" },
  { "accurate|professional|perfectly synced|multilingual", "准确的|专业的|精准同步的|多语种" },
  { "video|YouTube channel|course|film", "视频|视频频道|课程|电影" },
  { "subtitles|captions|SRT|transcription", "字幕|字幕翻译|SRT|听写" },
  { "Up to 10 minutes|SRT file|Up to 30 minutes|Burned-in subtitles|Up to 60 minutes|Translation into one language",
    "最多 10 分钟|SRT 字幕文件|最多 30 分钟|内嵌字幕|最多 60 分钟|翻译成一种语言" } },
{ "voice-over", 6, 30, 2,
  { "voice actor", "配音演员" },
  { "I record clear, warm voice overs in a professional home studio, usually within a day.",
    "我在专业的家庭录音棚中录制清晰、温暖的配音，通常一天内交付。" },
  { "I will record a {a} voice over for your {o}|I will be the {a} voice of your {o}|I will narrate your {o} with a {a} voice",
    "我将为您的{o}录制{a}配音|我将为您的{o}提供{a}旁白|我将以{a}风格为您的{o}朗读旁白" },
  { "warm male|friendly female|professional|energetic", "温暖男声|亲切女声|专业|充满活力的" },
  { "commercial|explainer video|audiobook|e-learning course", "广告|解说视频|有声书|在线课程" },
  { "voice over|voice actor|narration|commercial voice", "配音|声优|旁白|广告配音" },
  { "Up to 100 words|Broadcast-quality WAV|Up to 300 words|Script editing|Up to 1000 words|Background music and sync",
    "最多 100 字|广播级 WAV 音频|最多 300 字|稿件润色|最多 1000 字|背景音乐及音画同步" } },
{ "mixing-mastering", 3, 50, 3,
  { "mixing and mastering engineer", "混音与母带工程师" },
  { "I mix and master songs so they sound full, clear and loud on every speaker.",
    "我为歌曲混音和母带处理，让它在任何音箱上都饱满、清晰、有力。" },
  { "I will mix and master your {o} to a {a} standard|I will professionally mix your {o} with a {a} sound|I will master your {o} for a {a} release",
    "我将为您的{o}进行{a}混音与母带处理|我将为您的{o}进行{a}专业混音|我将为您的{o}进行{a}母带处理" },
  { "radio-ready|punchy|warm analog|streaming-ready", "电台级|有冲击力的|温暖模拟风格的|适合流媒体发行的" },
  { "song|album|EP|podcast", "歌曲|专辑|EP|播客" },
  { "mixing|mastering|audio engineer|music production", "混音|母带|录音工程|音乐后期" },
  { "Mastering of 1 song|2 revisions of the master|Mixing up to 24 tracks|Vocal tuning|Mixing up to 48 tracks|Stems and streaming masters",
    "1 首歌曲母带处理|母带 2 次修改|最多 24 轨混音|人声修音|最多 48 轨混音|分轨及流媒体版母带" } },
{ "podcast-production", 3, 40, 3,
  { "podcast producer", "播客制作人" },
  { "I turn raw recordings into polished episodes, with show notes ready to publish.",
    "我把原始录音打磨成精致的节目，并附上可直接发布的节目简介。" },
  { "I will edit your {o} podcast with {a} sound|I will produce {a} podcast episodes for your {o}|I will launch a {a} podcast for your {o}",
    "我将以{a}音质剪辑您的{o}播客|我将为您的{o}制作{a}播客节目|我将为您的{o}打造{a}播客" },
  { "clean|professional|engaging|complete", "纯净|专业|出色|完整的" },
  { "business|brand|interview show|company", "企业|品牌|访谈节目|公司" },
  { "podcast editing|podcast production|audio editing|show notes", "播客剪辑|播客制作|音频剪辑|节目简介" },
  { "Up to 30 minutes|Noise removal|Up to 60 minutes|Intro, outro and music|Up to 90 minutes|Show notes and audiograms",
    "最多 30 分钟|降噪处理|最多 60 分钟|片头片尾与配乐|最多 90 分钟|节目简介与音频卡片" } },
{ "jingles-intros", 2, 60, 4,
  { "composer and sound branding producer", "作曲与声音品牌制作人" },
  { "I compose catchy jingles and intros that make your brand easy to recognise.",
    "我创作朗朗上口的广告歌和片头音乐，让您的品牌更易识别。" },
  { "I will compose a {a} jingle for your {o}|I will create {a} intro music for your {o}|I will produce a {a} sonic logo for your {o}",
    "我将为您的{o}创作{a}广告歌|我将为您的{o}制作{a}片头音乐|我将为您的{o}制作{a}声音标识" },
  { "catchy|upbeat|memorable|original", "朗朗上口的|欢快的|令人难忘的|原创" },
  { "brand|podcast|radio ad|YouTube channel", "品牌|播客|电台广告|视频频道" },
  { "jingle|intro music|sonic logo|audio branding", "广告歌|片头音乐|声音标识|声音品牌" },
  { "10-second jingle|Royalty-free licence|30-second jingle|Vocals|60-second jingle|Stems and 3 edits",
    "10 秒广告歌|免版税授权|30 秒广告歌|人声演唱|60 秒广告歌|分轨及 3 个剪辑版本" } },
{ "music-production", 3, 100, 7,
  { "music producer", "音乐制作人" },
  { "I produce full songs and beats, from the first idea to a finished, release-ready track.",
    "我制作完整的歌曲和伴奏，从最初的灵感到可直接发行的成品。" },
  { "I will produce a {a} beat for your {o}|I will compose {a} music for your {o}|I will produce your {o} from start to finish in a {a} style",
    "我将为您的{o}制作{a}伴奏|我将为您的{o}创作{a}音乐|我将以{a}风格完整制作您的{o}" },
  { "custom hip hop|cinematic|lo-fi|Afrobeats", "定制嘻哈|电影感|低保真|非洲节拍" },
  { "song|video|game|album", "歌曲|视频|游戏|专辑" },
  { "music production|beat|composer|songwriting", "音乐制作|伴奏|作曲|编曲" },
  { "1-minute demo|MP3 and WAV|Full-length track|Mixing|Full track with vocal arrangement|Mastering and stems",
    "1 分钟小样|MP3 与 WAV|完整长度曲目|混音|含人声编排的完整曲目|母带及分轨" } },
{ "sound-design", 2, 50, 4,
  { "sound designer", "音效设计师" },
  { "I design sound effects and ambiences that make games, apps and films feel alive.",
    "我为游戏、应用和影视设计音效与氛围声，让作品更加生动。" },
  { "I will create {a} sound effects for your {o}|I will do {a} sound design for your {o}|I will design {a} UI sounds for your {o}",
    "我将为您的{o}制作{a}音效|我将为您的{o}进行{a}声音设计|我将为您的{o}设计{a}界面音效" },
  { "custom|immersive|cinematic|retro", "定制|沉浸式|电影感|复古" },
  { "game|app|short film|trailer", "游戏|应用|短片|预告片" },
  { "sound design|sound effects|game audio|foley", "音效设计|音效制作|游戏音频|拟音" },
  { "5 sound effects|WAV files|15 sound effects|Variations|40 sound effects|Implementation support",
    "5 个音效|WAV 文件|15 个音效|多个变体|40 个音效|集成支持" } },
{ "business-plans", 3, 150, 7,
  { "business consultant", "商业顾问" },
  { "I write clear, investor-ready business plans backed by real numbers.",
    "我撰写有真实数据支撑、可直接提交投资人的清晰商业计划书。" },
  { "I will write a {a} business plan for your {o}|I will create a {a} financial model for your {o}|I will prepare a {a} funding proposal for your {o}",
    "我将为您的{o}撰写{a}商业计划书|我将为您的{o}搭建{a}财务模型|我将为您的{o}准备{a}融资方案" },
  { "investor-ready|professional|bank-ready|detailed", "可直接提交投资人的|专业的|符合银行要求的|详尽的" },
  { "startup|small business|restaurant|franchise", "初创公司|小微企业|餐厅|加盟店" },
  { "business plan|financial model|investor pitch|startup", "商业计划书|财务模型|融资|创业" },
  { "Lean business plan|Market overview|Full business plan|3-year financial projections|Investor-ready plan|Pitch deck and financial model",
    "精简版商业计划|市场概览|完整商业计划书|三年财务预测|投资人版本计划书|路演 PPT 与财务模型" } },
{ "market-research", 3, 80, 5,
  { "market research analyst", "市场调研分析师" },
  { "I research your market and competitors and turn the findings into clear decisions.",
    "我调研您的市场和竞争对手，把调研结果转化为清晰的决策依据。" },
  { "I will do {a} market research for your {o}|I will write a {a} competitor analysis for your {o}|I will run a {a} customer survey for your {o}",
    "我将为您的{o}进行{a}市场调研|我将为您的{o}撰写{a}竞品分析|我将为您的{o}开展{a}用户问卷调查" },
  { "in-depth|data-driven|detailed|actionable", "深度|数据驱动的|详尽的|可落地的" },
  { "startup|product|business|new market", "初创公司|产品|企业|新市场" },
  { "market research|competitor analysis|survey|industry analysis", "市场调研|竞品分析|问卷调查|行业分析" },
  { "Overview of 5 competitors|Summary report|Market sizing|Customer personas|Survey with 200 responses|Strategy presentation",
    "5 个竞争对手概览|总结报告|市场规模测算|用户画像|200 份问卷调查|策略汇报演示" } },
{ "virtual-assistant", 5, 15, 1,
  { "virtual assistant", "虚拟助理" },
  { "I take care of the admin work that eats your day, so you can focus on growing your business.",
    "我帮您处理占用时间的行政事务，让您专注于业务增长。" },
  { "I will be a {a} virtual assistant for your {o}|I will do {a} data entry for your {o}|I will do {a} web research for your {o}",
    "我将担任您{o}的{a}虚拟助理|我将为您的{o}提供{a}数据录入服务|我将为您的{o}提供{a}网络资料搜集服务" },
  { "reliable|organized|detail-oriented|fast", "可靠的|有条理的|细心的|高效的" },
  { "business|team|online shop|agency", "企业|团队|网店|代理机构" },
  { "virtual assistant|data entry|admin support|web research", "虚拟助理|数据录入|行政支持|资料搜集" },
  { "2 hours of work|Daily report|5 hours of work|E-mail and calendar management|10 hours of work|Dedicated priority support",
    "2 小时工作|每日报告|5 小时工作|邮件与日程管理|10 小时工作|专属优先支持" } },
{ "presentations", 4, 50, 3,
  { "presentation designer", "演示文稿设计师" },
  { "I design presentations that make your message clear and your audience pay attention.",
    "我设计让观点清晰、让听众专注的演示文稿。" },
  { "I will design a {a} pitch deck for your {o}|I will create a {a} PowerPoint presentation for your {o}|I will redesign your {o} presentation in a {a} style",
    "我将为您的{o}设计{a}路演 PPT|我将为您的{o}制作{a} PPT 演示文稿|我将以{a}风格重新设计您的{o}演示文稿" },
  { "professional|investor-ready|modern|clean", "专业的|投资人级|现代|简洁" },
  { "startup|business|conference talk|sales team", "初创公司|企业|会议演讲|销售团队" },
  { "pitch deck|PowerPoint|presentation design|Google Slides", "路演PPT|PPT 设计|演示文稿|Keynote" },
  { "Up to 10 slides|Editable file|Up to 20 slides|Custom icons and charts|Up to 40 slides|Speaker notes and a template",
    "最多 10 页|可编辑文件|最多 20 页|定制图标与图表|最多 40 页|演讲备注及模板" } },
{ "financial-consulting", 2, 80, 4,
  { "chartered accountant", "注册会计师" },
  { "I keep your books tidy and your numbers clear, so decisions and tax season are easy.",
    "我帮您把账目整理清楚、数据一目了然，让决策和报税都更轻松。" },
  { "I will do {a} bookkeeping for your {o}|I will create a {a} budget and cash flow forecast for your {o}|I will give {a} financial advice for your {o}",
    "我将为您的{o}提供{a}记账服务|我将为您的{o}编制{a}预算与现金流预测|我将为您的{o}提供{a}财务咨询" },
  { "accurate|monthly|clear|professional", "准确的|按月|清晰的|专业的" },
  { "small business|startup|online store|freelance business", "小微企业|初创公司|网店|自由职业" },
  { "bookkeeping|accounting|financial planning|cash flow", "记账|会计|财务规划|现金流" },
  { "Up to 50 transactions|Monthly statement|Up to 200 transactions|Bank reconciliation|Up to 500 transactions|Financial review call",
    "最多 50 笔交易|月度报表|最多 200 笔交易|银行对账|最多 500 笔交易|财务复盘通话" } },
{ "ai-chatbots", 5, 120, 5,
  { "AI chatbot developer", "AI 聊天机器人开发工程师" },
  { "I build chatbots that answer your customers from your own documents, day and night.",
    "我开发基于您自有资料、全天候回答客户问题的聊天机器人。" },
  { "I will build a {a} AI chatbot for your {o}|I will create a {a} GPT chatbot for your {o}|I will integrate a {a} AI assistant into your {o}",
    "我将为您的{o}开发{a} AI 聊天机器人|我将为您的{o}开发{a}大模型聊天机器人|我将为您的{o}接入{a} AI 助手" },
  { "custom|smart|customer support|multilingual", "定制|智能|客服|多语言" },
  { "website|business|online store|WhatsApp", "网站|企业|网店|微信公众号" },
  { "AI chatbot|ChatGPT|GPT|customer support bot", "AI 聊天机器人|大模型|智能客服|ChatGPT" },
  { "Chatbot trained on 10 pages|Website widget|Trained on 100 pages|Lead capture|Unlimited documents|Integrations and an analytics dashboard",
    "基于 10 页资料训练|网站插件|基于 100 页资料训练|销售线索收集|不限文档数量|系统集成与数据看板" } },
{ "ai-agents", 4, 150, 5,
  { "AI automation engineer", "AI 自动化工程师" },
  { "I design AI agents and automations that take repetitive work off your team's plate.",
    "我设计 AI 智能体和自动化流程，为您的团队减轻重复性工作。" },
  { "I will build {a} AI agents for your {o}|I will automate your {o} with {a} n8n workflows|I will create a {a} AI automation for your {o}",
    "我将为您的{o}开发{a} AI 智能体|我将用{a} n8n 工作流自动化您的{o}|我将为您的{o}打造{a} AI 自动化流程" },
  { "custom|reliable|time-saving|smart", "定制|可靠的|省时的|智能" },
  { "business|sales team|workflow|support desk", "企业|销售团队|工作流程|客服中心" },
  { "AI agent|automation|n8n|Zapier", "AI 智能体|自动化|n8n|工作流" },
  { "1 automated workflow|Set-up guide|3 workflows|AI decision steps|Multi-agent system|Monitoring and 30 days of support",
    "1 个自动化流程|配置指南|3 个自动化流程|AI 决策节点|多智能体系统|监控及 30 天支持" } },
{ "ai-image-generation", 3, 25, 2,
  { "AI artist", "AI 艺术创作者" },
  { "I create striking images with Midjourney and Stable Diffusion, retouched by hand.",
    "我用 Midjourney 和 Stable Diffusion 创作出彩的图像，并进行人工精修。" },
  { "I will create {a} AI art for your {o}|I will generate {a} AI product photos for your {o}|I will design {a} AI characters for your {o}",
    "我将为您的{o}创作{a} AI 艺术作品|我将为您的{o}生成{a} AI 产品图|我将为您的{o}设计{a} AI 角色" },
  { "stunning|photorealistic|consistent|custom", "惊艳的|照片级|风格统一的|定制" },
  { "brand|book|game|online store", "品牌|书籍|游戏|网店" },
  { "AI art|Midjourney|Stable Diffusion|AI images", "AI 绘画|Midjourney|Stable Diffusion|AI 图片" },
  { "5 images|Commercial use|15 images|Upscaling to 4K|40 images|Hand retouching and prompt files",
    "5 张图片|商业使用授权|15 张图片|放大至 4K|40 张图片|人工精修及提示词文件" } },
{ "machine-learning", 2, 200, 7,
  { "machine learning engineer", "机器学习工程师" },
  { "I build and deploy machine learning models that solve real business problems.",
    "我开发并部署能解决实际业务问题的机器学习模型。" },
  { "I will build a {a} machine learning model for your {o}|I will develop a {a} computer vision model for your {o}|I will fine-tune a {a} language model for your {o}",
    "我将为您的{o}开发{a}机器学习模型|我将为您的{o}开发{a}计算机视觉模型|我将为您的{o}微调{a}语言模型" },
  { "custom|accurate|production-ready|explainable", "定制|高精度|可直接上线的|可解释的" },
  { "business|app|research project|data", "企业|应用|研究项目|数据" },
  { "machine learning|Python|computer vision|deep learning", "机器学习|Python|计算机视觉|深度学习" },
  { "Data review and baseline model|Report|Trained model|Evaluation notebook|Deployed model API|Monitoring and retraining plan",
    "数据评估与基线模型|分析报告|训练好的模型|评估笔记本|模型 API 部署|监控与再训练方案" } },
{ "data-analysis", 4, 60, 4,
  { "data analyst", "数据分析师" },
  { "I turn messy spreadsheets into clear dashboards and insights you can act on.",
    "我把杂乱的表格变成清晰的仪表盘和可执行的洞察。" },
  { "I will do {a} data analysis for your {o}|I will create a {a} Power BI dashboard for your {o}|I will build {a} Excel reports for your {o}",
    "我将为您的{o}进行{a}数据分析|我将为您的{o}制作{a} Power BI 仪表盘|我将为您的{o}制作{a} Excel 报表" },
  { "professional|interactive|automated|insightful", "专业的|交互式|自动化|有洞察力的" },
  { "business|sales data|marketing team|research", "企业|销售数据|市场团队|研究" },
  { "data analysis|Power BI|Excel|data visualization", "数据分析|Power BI|Excel|数据可视化" },
  { "Data cleaning|Summary of findings|Dashboard with 5 charts|Automated refresh|Full interactive dashboard|Recorded walkthrough",
    "数据清洗|结论摘要|含 5 个图表的仪表盘|自动刷新|完整交互式仪表盘|讲解录屏" } },
{ "product-photography", 3, 50, 5,
  { "product photographer", "产品摄影师" },
  { "I shoot clean, bright product photos that sell, on white or in lifestyle scenes.",
    "我拍摄干净明亮、能促进销售的产品照片，白底图和场景图都可以。" },
  { "I will take {a} product photos for your {o}|I will shoot {a} Amazon product photography for your {o}|I will do {a} lifestyle product photography for your {o}",
    "我将为您的{o}拍摄{a}产品照片|我将为您的{o}拍摄{a}淘宝主图|我将为您的{o}拍摄{a}场景产品图" },
  { "professional|white background|high-end|creative", "专业的|白底|高端|创意" },
  { "online store|brand|cosmetics|jewellery", "网店|品牌|化妆品|珠宝" },
  { "product photography|Amazon|white background|e-commerce photos", "产品摄影|淘宝主图|白底图|电商摄影" },
  { "5 edited photos|White background|10 edited photos|Lifestyle scene|20 edited photos|Short product video",
    "5 张精修照片|白底图|10 张精修照片|场景布置|20 张精修照片|产品短视频" } },
{ "photo-retouching", 4, 10, 1,
  { "photo retoucher", "修图师" },
  { "I retouch photos naturally: clean skin, true colours and perfect backgrounds.",
    "我自然地修饰照片：干净的肤质、真实的色彩和完美的背景。" },
  { "I will do {a} photo retouching for your {o}|I will remove the background from your {o} photos with {a} precision|I will edit {a} photos for your {o}",
    "我将为您的{o}提供{a}照片精修|我将以{a}精度为您的{o}照片去除背景|我将为您的{o}编辑{a}照片" },
  { "professional|natural|high-end|fast", "专业的|自然的|高端|快速的" },
  { "portraits|products|wedding|real estate listing", "人像|产品|婚礼|房源" },
  { "photo retouching|Photoshop|background removal|photo editing", "照片精修|PS修图|去背景|照片编辑" },
  { "3 photos|Colour correction|10 photos|Skin retouching|30 photos|Advanced compositing",
    "3 张照片|色彩校正|10 张照片|皮肤精修|30 张照片|高级合成" } },
{ "portrait-photography", 2, 80, 5,
  { "portrait photographer", "人像摄影师" },
  { "I take relaxed, natural portraits and headshots that show people at their best.",
    "我拍摄轻松自然的人像和职业照，展现每个人最好的一面。" },
  { "I will take {a} headshots for your {o}|I will do a {a} portrait session for your {o}|I will shoot {a} team photos for your {o}",
    "我将为您的{o}拍摄{a}职业形象照|我将为您的{o}安排{a}人像拍摄|我将为您的{o}拍摄{a}团队合影" },
  { "professional|natural light|corporate|creative", "专业的|自然光|商务|创意" },
  { "LinkedIn profile|company|personal brand|website", "领英资料|公司|个人品牌|网站" },
  { "headshots|portrait photography|corporate photos|photographer", "职业照|人像摄影|企业形象照|摄影师" },
  { "30-minute session|5 edited photos|1-hour session|15 edited photos|Half-day session|Location shoot and all edited photos",
    "30 分钟拍摄|5 张精修照片|1 小时拍摄|15 张精修照片|半天拍摄|外景及全部精修照片" } },
{ "real-estate-photography", 2, 40, 3,
  { "real estate photographer", "房地产摄影师" },
  { "I make properties look their best with bright photos, HDR editing and virtual staging.",
    "我用明亮的照片、HDR 后期和虚拟家居布置，让房源呈现最佳状态。" },
  { "I will edit {a} real estate photos for your {o}|I will do {a} virtual staging for your {o}|I will draw {a} floor plans for your {o}",
    "我将为您的{o}处理{a}房产照片|我将为您的{o}进行{a}虚拟家居布置|我将为您的{o}绘制{a}户型图" },
  { "HDR|professional|realistic|bright", "HDR|专业的|逼真的|明亮的" },
  { "listing|property|Airbnb|agency", "房源|物业|民宿|中介" },
  { "real estate photography|HDR|virtual staging|floor plan", "房产摄影|HDR|虚拟布置|户型图" },
  { "10 edited photos|HDR blending|25 edited photos|Sky replacement|50 edited photos|Virtual staging of 3 rooms",
    "10 张精修照片|HDR 合成|25 张精修照片|天空替换|50 张精修照片|3 个房间虚拟布置" } },
{ "online-tutoring", 4, 20, 2,
  { "tutor", "辅导老师" },
  { "I teach patiently and clearly, with lessons planned around your goals.",
    "我耐心、清晰地授课，并围绕您的目标安排课程。" },
  { "I will teach {a} English lessons for your {o}|I will give {a} maths tutoring for your {o}|I will teach {a} Mandarin Chinese lessons for your {o}",
    "我将为您的{o}提供{a}英语课|我将为您的{o}提供{a}数学辅导|我将为您的{o}提供{a}中文课" },
  { "fun|interactive|one-to-one|exam-focused", "有趣的|互动式|一对一|应试" },
  { "child|business trip|exam preparation|career", "孩子|出差|备考|职业发展" },
  { "tutoring|English lessons|maths|Mandarin", "在线辅导|英语课|数学辅导|中文课" },
  { "1 lesson of 45 minutes|Lesson notes|4 lessons|Homework and feedback|10 lessons|Progress report and exam practice",
    "1 节 45 分钟课程|课堂笔记|4 节课|作业与反馈|10 节课|学习报告及模拟练习" } },
{ "fitness-coaching", 2, 30, 3,
  { "personal trainer", "私人健身教练" },
  { "I create training and nutrition plans that fit your schedule and actually get results.",
    "我制定贴合您时间安排、真正见效的训练与饮食计划。" },
  { "I will create a {a} workout plan for your {o}|I will coach you online with a {a} program for your {o}|I will design a {a} meal plan for your {o}",
    "我将为您的{o}制定{a}训练计划|我将以{a}课程在线指导您的{o}|我将为您的{o}设计{a}饮食计划" },
  { "personalised|12-week|home|fat-loss", "个性化|12 周|居家|减脂" },
  { "fitness goals|wedding|marathon|strength training", "健身目标|婚礼|马拉松|力量训练" },
  { "fitness coaching|workout plan|meal plan|personal trainer", "健身指导|训练计划|饮食计划|私人教练" },
  { "4-week training plan|Exercise videos|8-week plan|Nutrition guide|12-week coaching|Weekly check-in calls",
    "4 周训练计划|动作示范视频|8 周计划|营养指南|12 周指导|每周视频回访" } },
{ "life-coaching", 2, 50, 3,
  { "certified life coach", "认证人生教练" },
  { "I help people get clear on what they want and build the habits to get there.",
    "我帮助人们理清自己真正想要什么，并养成实现目标的习惯。" },
  { "I will give {a} life coaching for your {o}|I will help you with {a} career coaching for your {o}|I will run a {a} goal-setting session for your {o}",
    "我将为您的{o}提供{a}人生教练服务|我将为您的{o}提供{a}职业规划指导|我将为您的{o}开展{a}目标设定辅导" },
  { "supportive|practical|confidential|motivating", "温暖支持的|务实的|保密的|激励人心的" },
  { "personal growth|career change|new year|business", "个人成长|职业转型|新年计划|事业" },
  { "life coaching|career coaching|goal setting|mindset", "人生教练|职业规划|目标设定|心态调整" },
  { "1 session of 60 minutes|Session summary|3 sessions|Personal action plan|6 sessions|Messaging support between sessions",
    "1 次 60 分钟辅导|辅导总结|3 次辅导|个人行动计划|6 次辅导|辅导间隙消息支持" } },
{ "cooking-lessons", 1, 30, 3,
  { "chef and cooking teacher", "厨师与烹饪老师" },
  { "I teach home cooks to make delicious food with simple techniques and everyday ingredients.",
    "我教家庭厨师用简单的技巧和日常食材做出美味佳肴。" },
  { "I will teach {a} cooking in a live class for your {o}|I will create a {a} meal plan for your {o}|I will share {a} recipes for your {o}",
    "我将通过直播课为您的{o}教授{a}烹饪|我将为您的{o}制定{a}餐单|我将为您的{o}分享{a}菜谱" },
  { "authentic Sichuan|healthy|South African braai|Italian", "正宗川菜|健康|南非烧烤|意大利" },
  { "family|dinner party|team event|kitchen", "家庭|晚宴|团队活动|厨房" },
  { "cooking class|recipes|meal plan|chef", "烹饪课|菜谱|餐单|厨师" },
  { "1 recipe video|Shopping list|Live 1-hour class|3 recipes|Live 2-hour class|Custom 4-week meal plan",
    "1 个菜谱视频|采购清单|1 小时直播课|3 道菜谱|2 小时直播课|定制 4 周餐单" } },
{ "travel-planning", 1, 40, 3,
  { "travel planner", "旅行规划师" },
  { "I plan trips around what you love, with routes, bookings and local tips that save time and money.",
    "我围绕您的喜好规划行程，提供路线、预订和当地贴士，帮您省时又省钱。" },
  { "I will plan a {a} trip itinerary for your {o}|I will create a {a} travel guide for your {o}|I will plan your {o} in South Africa with {a} tips",
    "我将为您的{o}规划{a}旅行行程|我将为您的{o}制作{a}旅行攻略|我将为您的{o}规划{a}中国之旅" },
  { "personalised|budget-friendly|luxury|local", "个性化|高性价比|奢华|本地人推荐的" },
  { "holiday|honeymoon|family trip|business trip", "假期|蜜月|家庭旅行|商务出行" },
  { "travel planning|itinerary|travel guide|trip planner", "旅行规划|行程规划|旅行攻略|自由行" },
  { "3-day itinerary|Map with pins|7-day itinerary|Hotel suggestions|14-day itinerary|Bookings and chat support during the trip",
    "3 天行程|带标注的地图|7 天行程|酒店推荐|14 天行程|代订服务及旅途中聊天支持" } },
};

#define NSUBS ((int)(sizeof(subs) / sizeof(subs[0])))

/*
 * The top-level category of each sub, by index range: subs are listed
 * grouped by parent in the order of sql/0002.  A seller works mostly in
 * one group.
 */
static const struct group {
	int first, count;
} groups[] = {
	{ 0, 7 },	/* graphics-design */
	{ 7, 8 },	/* programming-tech */
	{ 15, 5 },	/* digital-marketing */
	{ 20, 6 },	/* writing-translation */
	{ 26, 6 },	/* video-animation */
	{ 32, 6 },	/* music-audio */
	{ 38, 5 },	/* business */
	{ 43, 5 },	/* ai-services */
	{ 48, 4 },	/* photography */
	{ 52, 5 },	/* lifestyle */
};

#define NGROUPS ((int)(sizeof(groups) / sizeof(groups[0])))

/* ------------------------------------------------------------------ */
/* Data: countries                                                     */
/* ------------------------------------------------------------------ */

/*
 * Where sellers live.  Names are '|' lists; "王/wang" gives the ASCII
 * form used in handles (otherwise it is derived from the name).  cities:
 * "English[=中文]:Time/Zone".  langs: the mother tongues met there (ISO
 * 639-1), one picked per seller; "en" means English is the mother tongue.
 */
static const struct country {
	const char *code, *name, *name_zh;
	int weight;		/* sellers out of 320 */
	const char *currency;	/* local currency of prices, or USD */
	int local_pct;		/* share of sellers pricing in it, percent */
	int zh;			/* sellers write in Chinese */
	const char *first, *last, *cities, *langs;
} countries[] = {
{ "CN", "China", "中国", 80, "CNY", 90, 1,
  "伟/wei|芳/fang|娜/na|敏/min|静/jing|磊/lei|洋/yang|艳/yan|勇/yong|杰/jie|婷/ting|涛/tao|明/ming|超/chao|秀英/xiuying|晓东/xiaodong|雨欣/yuxin|子涵/zihan|浩然/haoran|思远/siyuan|佳怡/jiayi|俊杰/junjie|欣怡/xinyi|志强/zhiqiang|文博/wenbo|梦琪/mengqi",
  "王/wang|李/li|张/zhang|刘/liu|陈/chen|杨/yang|黄/huang|赵/zhao|吴/wu|周/zhou|徐/xu|孙/sun|马/ma|朱/zhu|胡/hu|郭/guo|何/he|林/lin|高/gao|罗/luo",
  "Shanghai=上海:Asia/Shanghai|Beijing=北京:Asia/Shanghai|Shenzhen=深圳:Asia/Shanghai|Hangzhou=杭州:Asia/Shanghai|Chengdu=成都:Asia/Shanghai|Guangzhou=广州:Asia/Shanghai|Wuhan=武汉:Asia/Shanghai|Nanjing=南京:Asia/Shanghai",
  "zh" },
{ "US", "United States", "美国", 55, "USD", 100, 0,
  "James|Emily|Michael|Sarah|David|Jessica|Daniel|Ashley|Ryan|Olivia|Matthew|Hannah|Chris|Megan|Andrew|Lauren|Tyler|Madison|Brandon|Rachel|Kevin|Nicole|Jordan|Samantha",
  "Smith|Johnson|Williams|Brown|Miller|Davis|Wilson|Anderson|Taylor|Moore|Martin|Thompson|Garcia|Martinez|Robinson|Clark|Lewis|Walker|Young|Allen|King|Scott|Hill|Adams",
  "Austin:America/Chicago|New York:America/New_York|Chicago:America/Chicago|Denver:America/Denver|Seattle:America/Los_Angeles|Atlanta:America/New_York|San Diego:America/Los_Angeles|Portland:America/Los_Angeles",
  "en|en|en|en|es" },
{ "ZA", "South Africa", "南非", 48, "ZAR", 85, 0,
  "Thabo|Sipho|Lerato|Naledi|Pieter|Johan|Anika|Zanele|Bongani|Ayanda|Kagiso|Lindiwe|Nomvula|Ruan|Chantelle|Tshepo|Mpho|Refilwe|Themba|Sizwe|Karabo|Busisiwe|Lwazi|Annelie|Riaan|Nandi|Priyanka|Yusuf",
  "Nkosi|Dlamini|Mokoena|van der Merwe|Botha|Naidoo|Pillay|Khumalo|Ndlovu|Mahlangu|Zulu|Pretorius|Jacobs|Mthembu|Molefe|Venter|Coetzee|Govender|Maseko|Steyn|Adams|Petersen",
  "Cape Town:Africa/Johannesburg|Johannesburg:Africa/Johannesburg|Durban:Africa/Johannesburg|Pretoria:Africa/Johannesburg|Gqeberha:Africa/Johannesburg|Stellenbosch:Africa/Johannesburg|Bloemfontein:Africa/Johannesburg",
  "en|af|zu|xh|st|tn" },
{ "GB", "United Kingdom", "英国", 25, "USD", 100, 0,
  "Oliver|Amelia|Harry|Charlotte|George|Sophie|Jack|Grace|Thomas|Lucy|William|Emma|Alfie|Isla|Freddie|Poppy",
  "Taylor|Evans|Hughes|Roberts|Wright|Green|Hall|Wood|Harris|Turner|Cooper|Ward|Morris|Price|Bennett|Clarke",
  "London:Europe/London|Manchester:Europe/London|Bristol:Europe/London|Edinburgh:Europe/London|Leeds:Europe/London|Brighton:Europe/London",
  "en" },
{ "IN", "India", "印度", 40, "USD", 100, 0,
  "Aarav|Priya|Rahul|Ananya|Vikram|Sneha|Arjun|Kavya|Rohan|Pooja|Aditya|Neha|Karan|Divya|Sanjay|Meera|Ishaan|Riya",
  "Sharma|Patel|Gupta|Singh|Kumar|Reddy|Iyer|Nair|Joshi|Mehta|Das|Rao|Verma|Bose",
  "Bengaluru:Asia/Kolkata|Mumbai:Asia/Kolkata|Pune:Asia/Kolkata|Delhi:Asia/Kolkata|Hyderabad:Asia/Kolkata|Chennai:Asia/Kolkata|Kolkata:Asia/Kolkata",
  "hi|hi|ta|te|mr|bn|pa" },
{ "NG", "Nigeria", "尼日利亚", 12, "USD", 100, 0,
  "Chinedu|Aisha|Tunde|Ngozi|Emeka|Funke|Ibrahim|Chiamaka|Segun|Amara",
  "Okafor|Bello|Adeyemi|Eze|Okonkwo|Balogun|Abubakar|Nwosu|Adebayo|Obi",
  "Lagos:Africa/Lagos|Abuja:Africa/Lagos|Ibadan:Africa/Lagos|Port Harcourt:Africa/Lagos",
  "yo|ig|ha" },
{ "KE", "Kenya", "肯尼亚", 8, "USD", 100, 0,
  "Wanjiru|Otieno|Achieng|Kamau|Njeri|Kiprop|Akinyi|Mwangi",
  "Kamau|Odhiambo|Wanjiku|Kariuki|Mutua|Chege|Omondi|Kiplagat",
  "Nairobi:Africa/Nairobi|Mombasa:Africa/Nairobi|Kisumu:Africa/Nairobi",
  "sw" },
{ "PK", "Pakistan", "巴基斯坦", 12, "USD", 100, 0,
  "Ahmed|Fatima|Usman|Ayesha|Bilal|Zainab|Hamza|Sana|Hassan|Hira",
  "Khan|Ali|Malik|Qureshi|Butt|Sheikh|Raza|Iqbal|Siddiqui|Chaudhry",
  "Lahore:Asia/Karachi|Karachi:Asia/Karachi|Islamabad:Asia/Karachi|Faisalabad:Asia/Karachi",
  "ur|pa" },
{ "PH", "Philippines", "菲律宾", 12, "USD", 100, 0,
  "Maria|Jose|Angelica|Mark|Kristine|Paolo|Camille|Bea|Miguel|Joanna",
  "Santos|Reyes|Cruz|Bautista|Garcia|Mendoza|Torres|Villanueva|Ramos|Aquino",
  "Manila:Asia/Manila|Cebu City:Asia/Manila|Davao:Asia/Manila|Quezon City:Asia/Manila",
  "tl" },
{ "DE", "Germany", "德国", 8, "USD", 100, 0,
  "Lukas|Anna|Jonas|Lena|Felix|Laura|Maximilian|Sophie",
  "Schmidt|Schneider|Fischer|Weber|Wagner|Becker|Hoffmann|Koch",
  "Berlin:Europe/Berlin|Munich:Europe/Berlin|Hamburg:Europe/Berlin|Cologne:Europe/Berlin",
  "de" },
{ "BR", "Brazil", "巴西", 8, "USD", 100, 0,
  "Lucas|Ana|Gabriel|Juliana|Rafael|Beatriz|Mateus|Larissa",
  "Silva|Souza|Oliveira|Costa|Pereira|Almeida|Ferreira|Rodrigues",
  "São Paulo:America/Sao_Paulo|Rio de Janeiro:America/Sao_Paulo|Belo Horizonte:America/Sao_Paulo|Curitiba:America/Sao_Paulo",
  "pt" },
{ "UA", "Ukraine", "乌克兰", 6, "USD", 100, 0,
  "Oleksandr|Iryna|Andrii|Olena|Dmytro|Kateryna",
  "Kovalenko|Shevchenko|Bondarenko|Tkachenko|Kravchenko|Melnyk",
  "Kyiv:Europe/Kyiv|Lviv:Europe/Kyiv|Kharkiv:Europe/Kyiv|Odesa:Europe/Kyiv",
  "uk" },
{ "EG", "Egypt", "埃及", 6, "USD", 100, 0,
  "Omar|Nour|Youssef|Mariam|Ahmed|Salma",
  "Hassan|Mahmoud|Ibrahim|Mostafa|Saeed|Farouk",
  "Cairo:Africa/Cairo|Alexandria:Africa/Cairo|Giza:Africa/Cairo",
  "ar" },
};

#define NCOUNTRIES ((int)(sizeof(countries) / sizeof(countries[0])))

/* English and Chinese names of the mother tongues above (for profiles.languages). */
static const struct lang {
	const char *code, *name;
} langs[] = {
	{ "af", "Afrikaans" }, { "ar", "Arabic" }, { "bn", "Bengali" }, { "de", "German" },
	{ "en", "English" }, { "es", "Spanish" }, { "ha", "Hausa" }, { "hi", "Hindi" },
	{ "ig", "Igbo" }, { "mr", "Marathi" }, { "pa", "Punjabi" }, { "pt", "Portuguese" },
	{ "st", "Sesotho" }, { "sw", "Swahili" }, { "ta", "Tamil" }, { "te", "Telugu" },
	{ "tl", "Filipino" }, { "tn", "Setswana" }, { "uk", "Ukrainian" }, { "ur", "Urdu" },
	{ "xh", "Xhosa" }, { "yo", "Yoruba" }, { "zh", "Chinese" }, { "zu", "Zulu" },
};

/* ------------------------------------------------------------------ */
/* Data: shared texts                                                  */
/* ------------------------------------------------------------------ */

static const char *const pkg_names[2][5][3] = {
	{ { "Basic", "Standard", "Premium" }, { "Starter", "Business", "Ultimate" },
	  { "Essential", "Professional", "Complete" }, { "Bronze", "Silver", "Gold" },
	  { "Lite", "Plus", "Pro" } },
	{ { "基础版", "标准版", "高级版" }, { "入门版", "商务版", "旗舰版" },
	  { "经济版", "专业版", "尊享版" }, { "基础版", "进阶版", "全能版" },
	  { "轻享版", "优选版", "至尊版" } },
};

static const char *const tier_names[3] = { "basic", "standard", "premium" };

/* Package descriptions; {0}..{5} are the category's features. */
static const char *const pkg_desc[2][3] = {
	{ "A simple start: {0} and {1}.",
	  "Our most popular package: {2}, {1} and {3}.",
	  "The complete package: {4}, {3} and {5}, with priority support." },
	{ "入门之选：{0}，{1}。",
	  "最受欢迎：{2}，{1}，{3}。",
	  "全方位服务：{4}，{3}，{5}，并享受优先支持。" },
};

static const char *const greetings[2] = {
	"Hi there!|Hello!|Welcome!|Hey, thanks for stopping by!",
	"您好！|欢迎光临！|你好！|感谢您的关注！",
};

/* Gig description: what the packages hold ({0}..{5}: features). */
static const char *const scope_par[2] = {
	"What you get: {0} and {1} in every order; {2} and {3} in the bigger packages; {4} and {5} in the top one. Compare the packages below and pick the one that fits your project.",
	"每个订单都包含{0}和{1}。更高级的套餐还提供{2}和{3}，顶级套餐更可享受{4}和{5}。请在下方比较后选择最适合您项目的套餐。",
};

static const char *const closing_par[2][3] = {
	{ "How it works: send me your brief and any references you like, I deliver a first version on time, and we refine it together until you are happy with the result.",
	  "I reply to messages within a few hours, keep you updated at every step and deliver on time. Your satisfaction is my priority.",
	  "Not sure which package is right for you? Send me a message before ordering and I will gladly suggest the best option for your budget." },
	{ "合作流程：请发送您的需求和喜欢的参考案例，我会按时交付初稿，并与您一起修改，直到您满意为止。",
	  "我通常在几小时内回复消息，每一步都会及时与您沟通，并保证按时交付。您的满意是我的首要目标。",
	  "不确定哪个套餐适合您？下单前欢迎给我发消息，我会根据您的预算推荐最合适的方案。" },
};

static const char *const bio_closing[2][3] = {
	{ "I have worked with startups, agencies and established companies all over the world.",
	  "Clear communication and on-time delivery matter to me as much as the work itself.",
	  "Send me a message with your idea; I usually reply within a few hours." },
	{ "我曾与世界各地的初创公司、代理机构和知名企业合作。",
	  "对我来说，清晰的沟通和按时交付与作品本身同样重要。",
	  "欢迎给我发消息聊聊您的想法，我通常会在几小时内回复。" },
};

static const char *const faq[2][8][2] = {
	{ { "What do you need from me to get started?",
	    "A short brief: your goals, your audience, any references you like and your deadline. I will ask follow-up questions if anything is unclear." },
	  { "Can you deliver faster than the stated time?",
	    "Often, yes. Message me before ordering and I will check my schedule; an express delivery can be added as an extra." },
	  { "What if I am not happy with the result?",
	    "Every package includes revisions. I keep working with you within the included revisions until the result matches the brief." },
	  { "Do I own the rights to the final work?",
	    "Yes. Once the order is complete you receive full commercial rights to the delivered files." },
	  { "Do you offer custom orders?",
	    "Yes. If none of the packages fits your project, send me the details and I will prepare a custom offer." },
	  { "When are you available?",
	    "I work flexible hours and usually reply within a few hours, so we can find a time that suits your time zone." },
	  { "Can I see examples of your previous work?",
	    "Of course. The gallery above shows recent projects, and I can share more samples in the inbox." },
	  { "Do you work with clients in other countries?",
	    "Yes, most of my clients are abroad. We communicate through the Souk inbox, in writing or on a call." } },
	{ { "开始之前您需要我提供什么？",
	    "一份简短的需求说明：您的目标、受众、喜欢的参考案例以及截止日期。如有不清楚的地方我会主动询问。" },
	  { "可以比标注的时间更快交付吗？",
	    "通常可以。下单前请先联系我确认档期，可额外购买加急服务。" },
	  { "如果我对结果不满意怎么办？",
	    "每个套餐都包含修改次数。在包含的修改次数内，我会持续修改，直到成果符合您的需求。" },
	  { "最终作品的版权归我所有吗？",
	    "是的。订单完成后，您将获得交付文件的全部商业使用权。" },
	  { "可以定制订单吗？",
	    "可以。如果现有套餐都不适合您的项目，请把详细需求发给我，我会为您准备定制报价。" },
	  { "您什么时间可以沟通？",
	    "我的工作时间很灵活，通常会在几小时内回复，可以配合您的时区安排沟通。" },
	  { "可以看看您以前的作品吗？",
	    "当然可以。上方的图库展示了近期的项目，更多案例可以通过站内信发给您。" },
	  { "您接受海外客户吗？",
	    "接受。我与世界各地的客户合作，可以通过站内信或语音沟通。" } },
};

/* ------------------------------------------------------------------ */
/* Deterministic randomness                                            */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

/* splitmix64 (Steele, Lea, Flood 2014): a fast, well-mixed 64-bit stream. */
static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static int
rng_int(int n)
{
	return n <= 1 ? 0 : (int)(rng_next() % (uint64_t)n);
}

/* A uniform double in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* A uniform double in [lo, hi). */
static double
rng_range(double lo, double hi)
{
	return lo + (hi - lo) * rng_unit();
}

/* ------------------------------------------------------------------ */
/* Text helpers                                                        */
/* ------------------------------------------------------------------ */

/* Number of items of a '|' list. */
static int
list_len(const char *l)
{
	int n = 1;

	for (; *l != '\0'; l++)
		if (*l == '|')
			n++;
	return n;
}

/* Copy item @i of the '|' list @l into @out (empty when out of range). */
static void
list_get(const char *l, int i, char *out, size_t outlen)
{
	const char *e;
	size_t n;

	for (; i > 0 && l != NULL; i--)
		if ((l = strchr(l, '|')) != NULL)
			l++;
	if (l == NULL) {
		out[0] = '\0';
		return;
	}
	e = strchr(l, '|');
	n = e != NULL ? (size_t)(e - l) : strlen(l);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, l, n);
	out[n] = '\0';
}

/* A random item of @l. */
static void
list_pick(const char *l, char *out, size_t outlen)
{
	list_get(l, rng_int(list_len(l)), out, outlen);
}

/*
 * Does English @word take "an"?  Vowel letters do, except those sounding
 * like "you" or "one"; a few initialisms read letter by letter do too.
 */
static int
wants_an(const char *w)
{
	static const char *const not_an[] = { "uni", "use", "usu", "ui", "ux", "eu", "one", NULL };
	static const char *const an[] = { "SEO", "SEM", "SMS", "HDR", "MBA", "FAQ", NULL };
	int i;

	for (i = 0; an[i] != NULL; i++)
		if (strncmp(w, an[i], strlen(an[i])) == 0)
			return 1;
	for (i = 0; not_an[i] != NULL; i++)
		if (strncasecmp(w, not_an[i], strlen(not_an[i])) == 0)
			return 0;
	return strchr("aeiouAEIOU", w[0]) != NULL && w[0] != '\0';
}

/*
 * Append @val to @b for a placeholder; when the text so far ends with the
 * article " a " (or is "a ") and @val wants "an", fix the article first.
 */
static void
put_word(buf_t *b, const char *val, int english)
{
	if (english && wants_an(val) && b->len >= 2 &&
	    b->data[b->len - 1] == ' ' && (b->data[b->len - 2] == 'a' ||
	    b->data[b->len - 2] == 'A') && (b->len == 2 || b->data[b->len - 3] == ' ')) {
		b->len--;
		buf_puts(b, "n ");
	}
	buf_puts(b, val);
}

/*
 * Expand @pat into @b: "{a}" and "{o}" become @a and @o, "{0}".."{9}"
 * become vals[0..9].
 */
static void
expand(buf_t *b, const char *pat, int english, const char *a, const char *o,
    const char *const *vals, int nvals)
{
	const char *p;

	for (p = pat; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] != '\0' && p[2] == '}') {
			const char *v = NULL;

			if (p[1] == 'a')
				v = a;
			else if (p[1] == 'o')
				v = o;
			else if (p[1] >= '0' && p[1] <= '9' && p[1] - '0' < nvals)
				v = vals[p[1] - '0'];
			if (v != NULL) {
				put_word(b, v, english);
				p += 2;
				continue;
			}
		}
		buf_putc(b, *p);
	}
}

/*
 * The feature @s as it reads inside a sentence: an initial capital is
 * lowered unless the word is an initialism or a name ("Vector files" ->
 * "vector files"; "SRT file", "Markdown or Word" stay).
 */
static void
lower_first(char *s)
{
	static const char *const names[] = { "Markdown", "Figma", "Canva", "Shopify", NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strncmp(s, names[i], strlen(names[i])) == 0)
			return;
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

/*
 * A URL slug of the English @title into @out: "I will " dropped, lower
 * case ASCII letters and digits, words joined by '-', apostrophes removed,
 * cut at a word boundary to at most @max bytes.
 */
static void
slugify(const char *title, char *out, size_t max)
{
	size_t n = 0, cut = 0;
	int dash = 0;
	const char *p = title;

	if (strncmp(p, "I will ", 7) == 0)
		p += 7;
	for (; *p != '\0' && n < max; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\'')
			continue;
		if (isalnum(c) && c < 0x80) {
			if (dash && n > 0) {
				if (n + 1 >= max)
					break;
				cut = n;
				out[n++] = '-';
			}
			dash = 0;
			out[n++] = (char)tolower(c);
		} else
			dash = 1;
	}
	if (*p != '\0' && cut > 0)	/* stopped early: end at a word */
		n = cut;
	out[n] = '\0';
}

/*
 * The ASCII handle form of a name item: the part after '/' when given,
 * else its ASCII letters lower-cased ("van der Merwe" -> "vandermerwe").
 */
static void
name_ascii(const char *item, char *out, size_t outlen)
{
	const char *s = strchr(item, '/');
	size_t n = 0;

	for (s = s != NULL ? s + 1 : item; *s != '\0' && n + 1 < outlen; s++)
		if (isalnum((unsigned char)*s) && (unsigned char)*s < 0x80)
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
}

/* The display part of a name item (before '/'). */
static void
name_display(const char *item, char *out, size_t outlen)
{
	const char *s = strchr(item, '/');
	size_t n = s != NULL ? (size_t)(s - item) : strlen(item);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, item, n);
	out[n] = '\0';
}

/* "YYYY-MM-DD HH:MM:SS+00" of the Unix time @t. */
static void
fmt_time(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* ------------------------------------------------------------------ */
/* COPY text format                                                    */
/* ------------------------------------------------------------------ */

/* Append @s escaped for COPY ... FROM STDIN (text format). */
static void
cp_str(buf_t *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *s); break;
		}
	}
}

/* Append a text[] literal of @n items, escaped for COPY. */
static void
cp_array(buf_t *b, char **items, int n)
{
	buf_t lit;
	const char *s;
	int i;

	buf_init(&lit, NULL);
	buf_putc(&lit, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&lit, ',');
		buf_putc(&lit, '"');
		for (s = items[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				buf_putc(&lit, '\\');
			buf_putc(&lit, *s);
		}
		buf_putc(&lit, '"');
	}
	buf_putc(&lit, '}');
	cp_str(b, buf_cstr(&lit));
	buf_free(&lit);
}

/* Column separator and row end. */
#define cp_tab(b)	buf_putc((b), '\t')
#define cp_eol(b)	buf_putc((b), '\n')

/* ------------------------------------------------------------------ */
/* Generation                                                          */
/* ------------------------------------------------------------------ */

#define TXT 512		/* room for one short text */

/* A seller being generated. */
struct seller {
	int country;		/* index in countries */
	int group;		/* main top-level category, index in groups */
	int main_sub;		/* main category, index in subs */
	int level;		/* 0 new, 1 level_1, 2 level_2, 3 top_rated */
	int years;		/* of experience */
	int zh;			/* writes in Chinese (profile, most gigs) */
	const char *currency;	/* of all its prices */
	long long joined;	/* Unix time */
	char handle[40];
	char first[64];		/* given name as shown ("Thabo", "伟") */
	char first_en[64];	/* in Latin letters ("Thabo", "Wei") */
	char display[128];	/* full name as shown */
	char city[2][TXT];	/* English and Chinese city names */
	char tz[48];
	int ngigs;		/* gigs to generate */
	int nslugs;
	char (*slugs)[88];	/* slugs of its gigs so far, to keep them unique */
};

static const char *const level_names[4] = { "new", "level_1", "level_2", "top_rated" };

/* The COPY data of one load, one buffer per staging table. */
struct out {
	buf_t users, gigs, packages, media, faq;
};

/* English name of a language code of the tables above. */
static const char *
lang_name(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(langs[i].code, code) == 0)
			return langs[i].name;
	return code;
}

/* An index in [0, n) drawn with weights @w. */
static int
pick_weighted(const int *w, int n)
{
	int i, total = 0, r;

	for (i = 0; i < n; i++)
		total += w[i];
	r = rng_int(total);
	for (i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

/* A category of group @g, drawn by weight. */
static int
pick_sub(int g)
{
	int w[16], i;

	for (i = 0; i < groups[g].count; i++)
		w[i] = subs[groups[g].first + i].weight;
	return groups[g].first + pick_weighted(w, groups[g].count);
}

/*
 * A price of @usd US dollars as a seller would ask it, in minor units of
 * @cur (converted with the rates of fx_rates), rounded to a step that
 * grows with the amount: USD $5/$10/$50, ZAR R10/R50/R100, CNY ¥5/¥10/¥50.
 */
static long long
price_minor(double usd, const char *cur)
{
	double v = usd;
	long long step, units;

	if (strcmp(cur, "ZAR") == 0) {
		v = usd / 0.055;
		step = v < 500 ? 10 : v < 5000 ? 50 : 100;
	} else {
		if (strcmp(cur, "CNY") == 0)
			v = usd / 0.14;
		step = v < 100 ? 5 : v < 1000 ? 10 : 50;
	}
	units = (long long)((v + (double)step / 2) / (double)step) * step;
	if (units < step)
		units = step;
	return units * 100;
}

/*
 * Generate seller @i into @s and its staging row into o->users; @all
 * holds the sellers made so far (for unique handles).
 */
static void
gen_seller(struct out *o, struct seller *s, int i, const struct seller *all)
{
	static const int level_w[4] = { 30, 35, 25, 10 };
	static const int years_lo[4] = { 1, 2, 4, 6 }, years_n[4] = { 3, 5, 7, 10 };
	/* Joining dates by level: first day (Unix time), span in days. */
	static const long long join_from[4] = { 1717200000LL, 1641000000LL,
	    1590969600LL, 1514764800LL };
	static const int join_span[4] = { 330, 1090, 1300, 1640 };
	static const int clients[4] = { 10, 50, 200, 500 };
	static const char *const suffixes[] = { "design", "dev", "studio", "media", "pro",
	    "creative", "works", "hq" };
	const struct country *c;
	const struct sub *ms;
	int cw[NCOUNTRIES], gw[NGROUPS], g, k, n, other;
	size_t len;
	char item[TXT], fa[64], la[64], last[64], handle[160], mother[8], years[16];
	char role[TXT], *p, *sk[6], skills[6][TXT];
	const char *v[7];
	json_t *lj;
	char *ljs;
	buf_t t;

	for (k = 0; k < NCOUNTRIES; k++)
		cw[k] = countries[k].weight;
	for (g = 0; g < NGROUPS; g++)
		for (gw[g] = 0, k = 0; k < groups[g].count; k++)
			gw[g] += subs[groups[g].first + k].weight;
	s->country = pick_weighted(cw, NCOUNTRIES);
	c = &countries[s->country];
	s->zh = c->zh;
	s->group = pick_weighted(gw, NGROUPS);
	s->main_sub = pick_sub(s->group);
	ms = &subs[s->main_sub];
	s->level = pick_weighted(level_w, 4);
	s->years = years_lo[s->level] + rng_int(years_n[s->level]);
	s->currency = strcmp(c->currency, "USD") != 0 && rng_int(100) < c->local_pct ?
	    c->currency : "USD";
	s->joined = join_from[s->level] + (long long)rng_int(join_span[s->level]) * DAY_S +
	    rng_int(86400);

	/* Names: "王伟" or "Thabo Nkosi"; the handle from their ASCII forms. */
	list_pick(c->first, item, sizeof(item));
	name_display(item, s->first, sizeof(s->first));
	name_ascii(item, fa, sizeof(fa));
	if (strchr(item, '/') != NULL) {
		snprintf(s->first_en, sizeof(s->first_en), "%s", fa);
		s->first_en[0] = (char)toupper((unsigned char)s->first_en[0]);
	} else
		snprintf(s->first_en, sizeof(s->first_en), "%s", s->first);
	list_pick(c->last, item, sizeof(item));
	name_display(item, last, sizeof(last));
	name_ascii(item, la, sizeof(la));
	if (s->zh)
		snprintf(s->display, sizeof(s->display), "%s%s", last, s->first);
	else
		snprintf(s->display, sizeof(s->display), "%s %s", s->first, last);
	switch (rng_int(4)) {
	case 0:
		snprintf(handle, sizeof(handle), "%s%s", fa, la);
		break;
	case 1:
		snprintf(handle, sizeof(handle), "%s_%s", s->zh ? la : fa, s->zh ? fa : la);
		break;
	case 2:
		snprintf(handle, sizeof(handle), "%s%s%02d", fa, la, rng_int(100));
		break;
	default:
		snprintf(handle, sizeof(handle), "%s_%s", fa, suffixes[rng_int(8)]);
		break;
	}
	handle[30] = '\0';
	for (n = 2; ; n++) {		/* a repeated handle gets a number */
		for (k = 0; k < i && strcmp(all[k].handle, handle) != 0; k++)
			;
		if (k == i)
			break;
		handle[30] = '\0';
		len = strlen(handle);
		handle[len] = (char)('0' + (n / 10) % 10);
		handle[len + 1] = (char)('0' + n % 10);
		handle[len + 2] = '\0';
	}
	memcpy(s->handle, handle, strlen(handle) + 1);	/* at most 32 bytes */

	/* City, "English[=中文]:Zone". */
	list_pick(c->cities, item, sizeof(item));
	if ((p = strchr(item, ':')) != NULL)
		*p++ = '\0';
	snprintf(s->tz, sizeof(s->tz), "%s", p != NULL ? p : "UTC");
	if ((p = strchr(item, '=')) != NULL)
		*p++ = '\0';
	snprintf(s->city[0], sizeof(s->city[0]), "%s", item);
	snprintf(s->city[1], sizeof(s->city[1]), "%s", p != NULL ? p : item);

	/* Languages: the mother tongue, then English and sometimes more. */
	list_pick(c->langs, mother, sizeof(mother));
	lj = json_array();
	json_array_append_new(lj, json_pack("{s:s, s:s, s:s}", "code", mother,
	    "name", lang_name(mother), "level", "native"));
	if (strcmp(mother, "en") != 0)
		json_array_append_new(lj, json_pack("{s:s, s:s, s:s}", "code", "en",
		    "name", "English", "level", s->zh ?
		    (rng_int(3) == 0 ? "fluent" : "conversational") : "fluent"));
	if (strcmp(c->code, "ZA") == 0 && strcmp(mother, "af") != 0 && rng_int(3) == 0)
		json_array_append_new(lj, json_pack("{s:s, s:s, s:s}", "code", "af",
		    "name", "Afrikaans", "level", "conversational"));
	if (!s->zh && rng_int(12) == 0)
		json_array_append_new(lj, json_pack("{s:s, s:s, s:s}", "code", "zh",
		    "name", "Chinese", "level", "basic"));
	ljs = json_dumps(lj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(lj);
	if (ljs == NULL)
		fatal("seed: out of memory");

	/*
	 * Staging row: seq, handle, email, created_at, display_name,
	 * headline, bio, skills, languages, country, timezone, seller_level.
	 */
	fmt_time(s->joined, item, sizeof(item));
	buf_printf(&o->users, "%d\t%s\t%s@" DEMO_DOMAIN "\t%s\t", i + 1, s->handle,
	    s->handle, item);
	cp_str(&o->users, s->display);
	cp_tab(&o->users);

	buf_init(&t, NULL);
	snprintf(role, sizeof(role), "%s", ms->role[s->zh]);
	if (role[0] >= 'a' && role[0] <= 'z')
		role[0] = (char)(role[0] - 'a' + 'A');
	if (rng_int(2))
		buf_printf(&t, s->zh ? "%s | %d 年以上从业经验" : "%s | %d+ years of experience",
		    role, s->years);
	else
		buf_printf(&t, s->zh ? "%s | 已服务 %d+ 位客户" : "%s | %d+ happy clients",
		    role, clients[s->level] + 10 * rng_int(10));
	cp_str(&o->users, buf_cstr(&t));
	cp_tab(&o->users);

	snprintf(years, sizeof(years), "%d", s->years);
	v[0] = s->first_en;
	v[1] = ms->role[s->zh];
	v[2] = s->city[s->zh];
	v[3] = s->zh ? c->name_zh : c->name;
	v[4] = years;
	v[5] = ms->pitch[s->zh];
	v[6] = bio_closing[s->zh][rng_int(3)];
	buf_truncate(&t, 0);
	if (s->zh) {
		v[0] = s->display;
		expand(&t, "我是{0}，{2}的{1}，拥有 {4} 年从业经验。{5}{6}", 0, NULL, NULL, v, 7);
	} else
		expand(&t, "I'm {0}, a {1} based in {2}, {3}, with {4} years of experience. {5} {6}",
		    1, NULL, NULL, v, 7);
	cp_str(&o->users, buf_cstr(&t));
	cp_tab(&o->users);
	buf_free(&t);

	/* Skills: the tags of the main category, two of a neighbour. */
	for (n = 0; n < 4; n++) {
		list_get(ms->tags[s->zh], n, skills[n], TXT);
		sk[n] = skills[n];
	}
	if ((other = pick_sub(s->group)) != s->main_sub)
		for (k = 0; k < 2; k++, n++) {
			list_get(subs[other].tags[s->zh], k, skills[n], TXT);
			sk[n] = skills[n];
		}
	cp_array(&o->users, sk, n);
	cp_tab(&o->users);
	cp_str(&o->users, ljs);
	buf_printf(&o->users, "\t%s\t%s\t%s\n", c->code, s->tz, level_names[s->level]);
	free(ljs);
}

/*
 * Generate gig @gseq (1-based) of seller @s: its staging rows for the gig,
 * the three packages, the media and the FAQ.
 */
static void
gen_gig(struct out *o, struct seller *s, int gseq)
{
	static const double level_mult[4] = { 0.75, 1.0, 1.4, 2.2 };
	static const double rating_lo[4] = { 4.2, 4.3, 4.5, 4.7 };
	static const int count_lo[4] = { 1, 3, 30, 150 }, count_hi[4] = { 12, 60, 330, 1500 };
	const struct country *c = &countries[s->country];
	const struct sub *sb;
	int l, ti, ai, oi, k, j, n, count, orders, days[3], rev, set, first;
	char adj[2][TXT], obj[2][TXT], pat[TXT], slug[88], years[16];
	char feat[6][TXT], low[6][TXT], tags[4][TXT], when[40], upd[40];
	const char *fv[6], *lv[6], *v[6];
	char *tv[4], *fl[4];
	buf_t title, en_title, t;
	long long created, updated, price[3], stars;
	double usd, avg, u;

	/* Category: mostly the seller's own group; the language, mostly its own. */
	sb = &subs[rng_int(100) < 85 ? pick_sub(s->group) : pick_sub(rng_int(NGROUPS))];
	l = s->zh && rng_int(100) < 92;

	/*
	 * Title from one pattern, in English always (for the slug).  A title
	 * the seller already has is drawn again; after 8 tries the slug gets
	 * a number.
	 */
	buf_init(&title, NULL);
	buf_init(&en_title, NULL);
	buf_init(&t, NULL);
	for (n = 0; ; n++) {
		ti = rng_int(list_len(sb->title[0]));
		ai = rng_int(list_len(sb->adj[0]));
		oi = rng_int(list_len(sb->obj[0]));
		list_get(sb->adj[0], ai, adj[0], TXT);
		list_get(sb->obj[0], oi, obj[0], TXT);
		list_get(sb->title[0], ti, pat, sizeof(pat));
		buf_truncate(&en_title, 0);
		expand(&en_title, pat, 1, adj[0], obj[0], NULL, 0);
		slugify(buf_cstr(&en_title), slug, 72);
		if (n >= 8)
			snprintf(strchr(slug, '\0'), 8, "-%d", n % 1000);
		for (j = 0; j < s->nslugs && strcmp(s->slugs[j], slug) != 0; j++)
			;
		if (j == s->nslugs)
			break;
	}
	snprintf(s->slugs[s->nslugs++], sizeof(s->slugs[0]), "%s", slug);
	list_get(sb->adj[l], ai, adj[l], TXT);
	list_get(sb->obj[l], oi, obj[l], TXT);
	list_get(sb->title[l], ti, pat, sizeof(pat));
	expand(&title, pat, !l, adj[l], obj[l], NULL, 0);

	/* Features as list items (fv) and as read inside sentences (lv). */
	for (k = 0; k < 6; k++) {
		list_get(sb->feat[l], k, feat[k], TXT);
		snprintf(low[k], TXT, "%s", feat[k]);
		if (!l)
			lower_first(low[k]);
		fv[k] = feat[k];
		lv[k] = low[k];
	}

	/* Prices: typical price x level x the seller's own pricing. */
	usd = sb->price * level_mult[s->level] * rng_range(0.7, 1.4);
	price[0] = price_minor(usd, s->currency);
	price[1] = price_minor(usd * rng_range(1.8, 2.6), s->currency);
	price[2] = price_minor(usd * rng_range(1.8, 2.6) * rng_range(1.6, 2.3), s->currency);
	for (k = 1; k < 3; k++)		/* strictly increasing after rounding */
		if (price[k] <= price[k - 1])
			price[k] = price[k - 1] + (strcmp(s->currency, "ZAR") == 0 ? 5000 : 500);
	days[0] = sb->days - 1 + rng_int(3);
	if (days[0] < 1)
		days[0] = 1;
	days[1] = days[0] + 1 + rng_int(3);
	days[2] = days[1] + 1 + rng_int(5);

	/* Reviews: more for higher levels, averages skewed towards 5. */
	count = 0;
	if (s->level > 0 || rng_int(100) >= 35) {
		u = rng_unit();
		count = count_lo[s->level] + (int)((count_hi[s->level] - count_lo[s->level]) * u * u);
	}
	avg = 0;
	if (count > 0) {
		u = rng_unit();
		avg = 5.0 - (5.0 - rating_lo[s->level]) * u * (0.4 + 0.6 * u);
		/* An average that count whole-star reviews can give. */
		stars = (long long)(avg * count + 0.5);
		avg = (double)stars / count;
	}
	orders = count + (int)(count * rng_range(0.1, 0.5)) + rng_int(3);

	/* Dates: after the seller joined, before the demo's "now". */
	created = s->joined + (long long)(rng_unit() * (double)(SEED_NOW - s->joined - DAY_S));
	updated = created + (long long)(rng_unit() * (double)(SEED_NOW - created));
	if (updated - created > 200 * DAY_S)
		updated = created + 200 * DAY_S - rng_int(86400);
	fmt_time(created, when, sizeof(when));
	fmt_time(updated, upd, sizeof(upd));

	/*
	 * Gig staging row: seq, handle, category slug, title, slug,
	 * description, lang, tags, rating_avg, rating_count, orders_count,
	 * basic price, currency, basic delivery days, created, updated.
	 */
	buf_printf(&o->gigs, "%d\t%s\t%s\t", gseq, s->handle, sb->slug);
	cp_str(&o->gigs, buf_cstr(&title));
	buf_printf(&o->gigs, "\t%s\t", slug);

	/* Description: who and what, the packages, one or two closings. */
	snprintf(years, sizeof(years), "%d", s->years);
	v[0] = l ? s->display : s->first_en;
	v[1] = sb->role[l];
	v[2] = s->city[l];
	v[3] = l ? c->name_zh : c->name;
	v[4] = years;
	v[5] = sb->pitch[l];
	list_pick(greetings[l], pat, sizeof(pat));
	buf_puts(&t, pat);
	if (l)
		expand(&t, "我是{0}，一名来自{2}的{1}，拥有 {4} 年从业经验。{5}", 0, NULL, NULL, v, 6);
	else
		expand(&t, " I'm {0}, a {1} from {2}, {3}, with {4} years of experience. {5}",
		    1, NULL, NULL, v, 6);
	buf_puts(&t, "\n\n");
	expand(&t, scope_par[l], !l, NULL, NULL, lv, 6);
	k = rng_int(3);
	buf_printf(&t, "\n\n%s", closing_par[l][k]);
	if (rng_int(2))
		buf_printf(&t, "\n\n%s", closing_par[l][(k + 1 + rng_int(2)) % 3]);
	cp_str(&o->gigs, buf_cstr(&t));
	buf_printf(&o->gigs, "\t%s\t", l ? "zh" : "en");

	n = 3 + rng_int(2);
	first = rng_int(4);
	for (k = 0; k < n; k++) {
		list_get(sb->tags[l], (first + k) % 4, tags[k], TXT);
		tv[k] = tags[k];
	}
	cp_array(&o->gigs, tv, n);
	buf_printf(&o->gigs, "\t%.2f\t%d\t%d\t%lld\t%s\t%d\t%s\t%s\n", avg, count, orders,
	    price[0], s->currency, days[0], when, upd);

	/*
	 * Packages: gig seq, tier, name, description, price, currency, days,
	 * revisions, features (basic: its scope and extra; standard: its
	 * scope, the basic extra and its own; premium: its scope and every
	 * extra).
	 */
	set = rng_int(5);
	for (k = 0; k < 3; k++) {
		rev = k == 0 ? 1 + rng_int(2) : k == 1 ? 2 + rng_int(4) :
		    rng_int(2) ? -1 : 5 + rng_int(6);
		buf_truncate(&t, 0);
		expand(&t, pkg_desc[l][k], !l, NULL, NULL, lv, 6);
		buf_printf(&o->packages, "%d\t%s\t%s\t", gseq, tier_names[k], pkg_names[l][set][k]);
		cp_str(&o->packages, buf_cstr(&t));
		buf_printf(&o->packages, "\t%lld\t%s\t%d\t%d\t", price[k], s->currency, days[k], rev);
		n = 0;
		fl[n++] = (char *)fv[2 * k];
		fl[n++] = (char *)fv[1];
		if (k >= 1)
			fl[n++] = (char *)fv[3];
		if (k == 2)
			fl[n++] = (char *)fv[5];
		cp_array(&o->packages, fl, n);
		cp_eol(&o->packages);
	}

	/* Media: 1-3 of the 12 pictures shipped in static/img/gigs. */
	n = 1 + rng_int(3);
	first = rng_int(12);
	for (k = 0; k < n; k++) {
		buf_truncate(&t, 0);
		if (k == 0)
			buf_puts(&t, buf_cstr(&title));
		else
			buf_printf(&t, l ? "%s（示例 %d）" : "%s (sample %d)", buf_cstr(&title), k + 1);
		buf_printf(&o->media, "%d\t/static/img/gigs/%d.svg\t", gseq, 1 + (first + 5 * k) % 12);
		cp_str(&o->media, buf_cstr(&t));
		buf_printf(&o->media, "\t%d\n", k);
	}

	/* FAQ: 2-4 consecutive entries of the pool. */
	n = 2 + rng_int(3);
	first = rng_int(8);
	for (k = 0; k < n; k++) {
		buf_printf(&o->faq, "%d\t", gseq);
		cp_str(&o->faq, faq[l][(first + k) % 8][0]);
		cp_tab(&o->faq);
		cp_str(&o->faq, faq[l][(first + k) % 8][1]);
		buf_printf(&o->faq, "\t%d\n", k);
	}
	buf_free(&title);
	buf_free(&en_title);
	buf_free(&t);
}

/* Check that the parallel lists of every category line up. */
static int
check_tables(char *err, size_t errlen)
{
	static const int want[5] = { 3, 4, 4, 4, 6 };
	int i, k, g, n = 0;

	for (i = 0; i < NSUBS; i++) {
		const char *const *lists[5] = { subs[i].title, subs[i].adj, subs[i].obj,
		    subs[i].tags, subs[i].feat };

		for (k = 0; k < 5; k++)
			if (list_len(lists[k][0]) != want[k] || list_len(lists[k][1]) != want[k]) {
				snprintf(err, errlen, "seed: category %s: list %d has %d/%d items, "
				    "want %d", subs[i].slug, k, list_len(lists[k][0]),
				    list_len(lists[k][1]), want[k]);
				return -1;
			}
	}
	for (g = 0; g < NGROUPS; g++)
		n += groups[g].count;
	if (n != NSUBS) {
		snprintf(err, errlen, "seed: groups cover %d categories of %d", n, NSUBS);
		return -1;
	}
	return 0;
}

/* Build the whole demo catalog into @o. */
static void
generate(struct out *o, struct seller *sellers)
{
	static const double gig_weight[4] = { 1.0, 2.0, 3.0, 3.5 };
	double w[SEED_SELLERS], total = 0;
	int i, k, assigned = 0, gseq = 0;

	rng_state = SEED_PRNG;
	for (i = 0; i < SEED_SELLERS; i++)
		gen_seller(o, &sellers[i], i, sellers);

	/* Share the gigs out by level, each seller at least one. */
	for (i = 0; i < SEED_SELLERS; i++) {
		w[i] = gig_weight[sellers[i].level] * rng_range(0.6, 1.4);
		total += w[i];
	}
	for (i = 0; i < SEED_SELLERS; i++) {
		sellers[i].ngigs = (int)(w[i] / total * SEED_GIGS);
		if (sellers[i].ngigs < 1)
			sellers[i].ngigs = 1;
		assigned += sellers[i].ngigs;
	}
	for (i = 0; assigned < SEED_GIGS; i = (i + 1) % SEED_SELLERS, assigned++)
		sellers[i].ngigs++;
	for (i = SEED_SELLERS - 1; assigned > SEED_GIGS; i = (i + SEED_SELLERS - 1) % SEED_SELLERS)
		if (sellers[i].ngigs > 1) {
			sellers[i].ngigs--;
			assigned--;
		}

	for (i = 0; i < SEED_SELLERS; i++) {
		sellers[i].slugs = calloc((size_t)sellers[i].ngigs, sizeof(sellers[i].slugs[0]));
		if (sellers[i].slugs == NULL)
			fatal("seed: out of memory");
		for (k = 0; k < sellers[i].ngigs; k++)
			gen_gig(o, &sellers[i], ++gseq);
	}
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* Staging tables, dropped at commit. */
static const char *const sql_stage[] = {
	"CREATE TEMP TABLE seed_users (seq int, handle text, email text,"
	" created_at timestamptz, display_name text, headline text, bio text,"
	" skills text[], languages jsonb, country text, timezone text,"
	" seller_level text) ON COMMIT DROP",
	"CREATE TEMP TABLE seed_gigs (seq int, handle text, category text, title text,"
	" slug text, description text, lang text, tags text[], rating_avg numeric(3,2),"
	" rating_count int, orders_count int, price_minor bigint, currency text,"
	" delivery_days int, created_at timestamptz, updated_at timestamptz) ON COMMIT DROP",
	"CREATE TEMP TABLE seed_packages (gig_seq int, tier text, name text,"
	" description text, price_minor bigint, currency text, delivery_days int,"
	" revisions int, features text[]) ON COMMIT DROP",
	"CREATE TEMP TABLE seed_media (gig_seq int, url text, alt text, position int)"
	" ON COMMIT DROP",
	"CREATE TEMP TABLE seed_faq (gig_seq int, question text, answer text, position int)"
	" ON COMMIT DROP",
};

/*
 * Moves from staging into the catalog, each with the number of rows it
 * must touch (-1: any).  Ids are assigned in staging order; the profile
 * rating sums up the seller's gigs; the basic_* columns of gigs are
 * filled here so that the package trigger has nothing to update.
 */
static const struct move {
	const char *sql;
	int rows;
	const char *what;
} sql_move[] = {
	{ "INSERT INTO users (email, handle, status, created_at, updated_at)"
	  " SELECT email, handle, 'active', created_at, created_at"
	  " FROM seed_users ORDER BY seq", SEED_SELLERS, "accounts" },
	{ "INSERT INTO profiles (user_id, display_name, headline, bio, skills, languages,"
	  " country, timezone, seller_level, rating_avg, rating_count, created_at, updated_at)"
	  " SELECT u.id, s.display_name, s.headline, s.bio, s.skills, s.languages,"
	  "  s.country, s.timezone, s.seller_level,"
	  "  coalesce(round(r.stars / nullif(r.n, 0), 2), 0), coalesce(r.n, 0),"
	  "  s.created_at, s.created_at"
	  " FROM seed_users s JOIN users u ON u.handle = s.handle"
	  " LEFT JOIN (SELECT handle, sum(rating_avg * rating_count) AS stars,"
	  "   sum(rating_count) AS n FROM seed_gigs GROUP BY handle) r ON r.handle = s.handle"
	  " ORDER BY s.seq", SEED_SELLERS, "profiles" },
	{ "INSERT INTO gigs (seller_id, category_id, title, slug, description, lang, status,"
	  " tags, rating_avg, rating_count, orders_count, basic_price_minor, basic_currency,"
	  " basic_price_usd_minor, basic_delivery_days, created_at, updated_at)"
	  " SELECT u.id, c.id, g.title, g.slug, g.description, g.lang, 'active', g.tags,"
	  "  g.rating_avg, g.rating_count, g.orders_count, g.price_minor, g.currency,"
	  "  round(g.price_minor * f.usd_cents_per_minor)::bigint, g.delivery_days,"
	  "  g.created_at, g.updated_at"
	  " FROM seed_gigs g JOIN users u ON u.handle = g.handle"
	  " JOIN categories c ON c.slug = g.category AND c.parent_id IS NOT NULL"
	  " JOIN fx_rates f ON f.currency = g.currency"
	  " ORDER BY g.seq", SEED_GIGS, "gigs (are the categories of sql/0002 there?)" },
	{ "CREATE TEMP TABLE seed_ids ON COMMIT DROP AS"
	  " SELECT g.seq, x.id, g.created_at FROM seed_gigs g"
	  " JOIN users u ON u.handle = g.handle"
	  " JOIN gigs x ON x.seller_id = u.id AND x.slug = g.slug", SEED_GIGS, "gig ids" },
	{ "INSERT INTO gig_packages (gig_id, tier, name, description, price_minor, currency,"
	  " delivery_days, revisions, features, created_at, updated_at)"
	  " SELECT i.id, p.tier, p.name, p.description, p.price_minor, p.currency,"
	  "  p.delivery_days, p.revisions, p.features, i.created_at, i.created_at"
	  " FROM seed_packages p JOIN seed_ids i ON i.seq = p.gig_seq"
	  " ORDER BY p.gig_seq, array_position(ARRAY['basic', 'standard', 'premium'], p.tier)",
	  3 * SEED_GIGS, "packages" },
	{ "INSERT INTO gig_media (gig_id, url, alt, kind, position, created_at, updated_at)"
	  " SELECT i.id, m.url, m.alt, 'image', m.position, i.created_at, i.created_at"
	  " FROM seed_media m JOIN seed_ids i ON i.seq = m.gig_seq"
	  " ORDER BY m.gig_seq, m.position", -1, "media" },
	{ "INSERT INTO gig_faq (gig_id, question, answer, position, created_at, updated_at)"
	  " SELECT i.id, q.question, q.answer, q.position, i.created_at, i.created_at"
	  " FROM seed_faq q JOIN seed_ids i ON i.seq = q.gig_seq"
	  " ORDER BY q.gig_seq, q.position", -1, "FAQ entries" },
	/* Everyone with a gig is a seller (sql/0003_identity.sql). */
	{ "INSERT INTO user_roles (user_id, role)"
	  " SELECT DISTINCT x.seller_id, 'SELLER' FROM gigs x"
	  " WHERE x.id IN (SELECT id FROM seed_ids)"
	  " ON CONFLICT DO NOTHING", -1, "seller roles" },
	/* Denormalised columns: a no-op unless a trigger or rate disagrees. */
	{ "UPDATE gigs g SET basic_price_minor = p.price_minor, basic_currency = p.currency,"
	  " basic_price_usd_minor = round(p.price_minor * f.usd_cents_per_minor)::bigint,"
	  " basic_delivery_days = p.delivery_days"
	  " FROM gig_packages p JOIN fx_rates f ON f.currency = p.currency"
	  " WHERE p.gig_id = g.id AND p.tier = 'basic'"
	  "  AND g.id IN (SELECT id FROM seed_ids)"
	  "  AND (g.basic_price_minor, g.basic_currency, g.basic_price_usd_minor,"
	  "   g.basic_delivery_days) IS DISTINCT FROM (p.price_minor, p.currency,"
	  "   round(p.price_minor * f.usd_cents_per_minor)::bigint, p.delivery_days)",
	  -1, "basic prices" },
	/* Move the new index entries out of the GIN pending lists now. */
	{ "SELECT gin_clean_pending_list('gigs_search_idx'::regclass),"
	  " gin_clean_pending_list('gigs_title_trgm_idx'::regclass)", -1, "GIN indexes" },
};

/*
 * COPY @data (text format) into @table through the raw connection.
 * Returns 0, or -1 with @err set.
 */
static int
copy_in(db_t *db, const char *table, const buf_t *data, char *err, size_t errlen)
{
	PGconn *conn = db_conn(db);
	PGresult *r;
	char sql[128];
	size_t off, n;
	int rc = 0;

	snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", table);
	r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		snprintf(err, errlen, "seed: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	for (off = 0; off < data->len; off += n) {
		n = data->len - off > (1u << 20) ? (1u << 20) : data->len - off;
		if (PQputCopyData(conn, data->data + off, (int)n) != 1) {
			snprintf(err, errlen, "seed: COPY %s: %s", table, PQerrorMessage(conn));
			rc = -1;
			break;
		}
	}
	if (PQputCopyEnd(conn, rc == 0 ? NULL : "seed aborted") != 1 && rc == 0) {
		snprintf(err, errlen, "seed: COPY %s: %s", table, PQerrorMessage(conn));
		rc = -1;
	}
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			snprintf(err, errlen, "seed: COPY %s: %s", table, PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

/* Run @sql without parameters; on failure describe it in @err. */
static int
exec_checked(db_t *db, const char *sql, int rows, const char *what, char *err, size_t errlen)
{
	PGresult *r;
	int rc;

	if ((rc = db_exec(db, &r, sql, 0, NULL)) != DB_OK) {
		snprintf(err, errlen, "seed: %s: %s", what, db_errmsg(db));
		return -1;
	}
	if (rows >= 0 && atoi(PQcmdTuples(r)) != rows) {
		snprintf(err, errlen, "seed: %s: %s rows instead of %d", what, PQcmdTuples(r), rows);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

int
seed_demo(db_t *db, char *err, size_t errlen)
{
	static const char *const tables[] = { "seed_users", "seed_gigs", "seed_packages",
	    "seed_media", "seed_faq" };
	struct seller *sellers;
	struct out o;
	buf_t *bufs[5] = { &o.users, &o.gigs, &o.packages, &o.media, &o.faq };
	PGresult *r;
	size_t i;
	int rc = -1, exists;

	err[0] = '\0';
	if (check_tables(err, errlen) != 0)
		return -1;
	if (db_ensure(db) != DB_OK) {
		snprintf(err, errlen, "seed: no database connection: %s", db_errmsg(db));
		return -1;
	}

	/* Build everything first: the transaction then only moves bytes. */
	if ((sellers = calloc(SEED_SELLERS, sizeof(*sellers))) == NULL)
		fatal("seed: out of memory");
	for (i = 0; i < 5; i++)
		buf_init(bufs[i], NULL);
	generate(&o, sellers);

	if (db_begin(db) != DB_OK) {
		snprintf(err, errlen, "seed: BEGIN: %s", db_errmsg(db));
		goto out;
	}
	/* One loader at a time; then the marker: any demo account. */
	if (db_exec(db, &r, "SELECT pg_advisory_xact_lock(7243311),"
	    " EXISTS (SELECT 1 FROM users WHERE email LIKE '%@" DEMO_DOMAIN "')",
	    0, NULL) != DB_OK) {
		snprintf(err, errlen, "seed: %s", db_errmsg(db));
		goto fail;
	}
	exists = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (exists) {
		log_info("seed: demo data already present; nothing changed");
		(void)db_rollback(db);
		rc = 0;
		goto out;
	}
	for (i = 0; i < sizeof(sql_stage) / sizeof(sql_stage[0]); i++)
		if (exec_checked(db, sql_stage[i], -1, "staging", err, errlen) != 0)
			goto fail;
	for (i = 0; i < 5; i++)
		if (copy_in(db, tables[i], bufs[i], err, errlen) != 0)
			goto fail;
	for (i = 0; i < sizeof(sql_move) / sizeof(sql_move[0]); i++)
		if (exec_checked(db, sql_move[i].sql, sql_move[i].rows, sql_move[i].what,
		    err, errlen) != 0)
			goto fail;
	if (db_commit(db) != DB_OK) {
		snprintf(err, errlen, "seed: COMMIT: %s", db_errmsg(db));
		goto out;
	}
	/*
	 * Fresh statistics, so that the first pages are planned well, and a
	 * visibility map for index-only scans.
	 */
	if (exec_checked(db, "VACUUM (ANALYZE) users, profiles, categories, gigs,"
	    " gig_packages, gig_media, gig_faq, search_words", -1, "VACUUM", err, errlen) != 0)
		goto out;
	rc = 0;
	goto out;
fail:
	(void)db_rollback(db);
out:
	for (i = 0; i < SEED_SELLERS; i++)
		free(sellers[i].slugs);
	free(sellers);
	for (i = 0; i < 5; i++)
		buf_free(bufs[i]);
	return rc;
}
