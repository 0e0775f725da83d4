// souk-paysim (tests/tools/souk-paysim.mjs), the local stand-in for the
// gateways' sandboxes: its signing functions reproduce every test vector of
// ../shared/docs/payment-gateways.md; an instance of it (started here on a
// free port, notifying a receiver played by this test) rejects badly signed
// hosted-page posts, signs and retries its notifications exactly per
// protocol, answers PayFast's validate call VALID only for what it sent,
// honours Stripe's Idempotency-Key, and obeys the fault knobs of POST
// /_control.  The instance ./dev test started (SOUK_TEST_PAYSIM_URL) must be up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '../tools/souk-paysim.mjs';
import { until } from './helpers.mjs';

const C = P.CREDS;

// ---------------------------------------------------------------------------
// the document's test vectors, computed with the simulator's own functions
// ---------------------------------------------------------------------------
test('PayFast vectors V-PF-1..8 (§1.8)', () => {
  const v1 = { merchant_id: '10000100', merchant_key: '46f0cd694581a', notify_url: 'http://127.0.0.1:8000/payfast/notify/',
    name_first: 'Вася', name_last: 'Пупников', m_payment_id: '23', amount: '234', item_name: 'Payment (Планета суши). ID:272-15' };
  assert.equal(P.payfastCheckoutSignature(v1, ''), '481366608545707be67c6514386b3fb1');
  assert.equal(P.payfastCheckoutSignature({ ...v1, name_first: '' }, ''), '6551205f0fee13cf09174b0b887ec5b3');
  assert.equal(P.payfastCheckoutSignature({ ...v1, name_first: '', name_last: '' }, ''), '8f6435965cd9b00a9a965d93fc6c4c48');

  const itn2 = P.parseFormPairs('m_payment_id=&pf_payment_id=558900&payment_status=COMPLETE&item_name=Flux+capacitor&item_description=&amount_gross=123.00&amount_fee=-2.80&amount_net=120.20&custom_str1=&custom_str2=&custom_str3=&custom_str4=&custom_str5=&custom_int1=&custom_int2=&custom_int3=&custom_int4=&custom_int5=&name_first=Test&name_last=User+01&email_address=sbtu01%40payfast.co.za&merchant_id=10000100');
  assert.equal(P.payfastItnSignature(itn2, ''), '94b05677771813701468289ed3cabed1');

  const v3 = { merchant_id: '10028084', merchant_key: '4hjoenwbwnuso', return_url: 'https://test.com/billing/success',
    cancel_url: 'https://test.com/billing/cancel', notify_url: 'https://test.com/payfast/webhook', name_first: 'Test', name_last: 'Test',
    email_address: 'test@test.com', m_payment_id: '5', amount: '5.00', item_name: 'Test', custom_int1: '1', custom_int2: '1',
    custom_str1: 'U29tZSBUZXN0IFN0cmluZw', custom_str2: 'QW5vdGhlciBUZXN0IFN0cmluZw', email_confirmation: '1',
    confirmation_address: 'test@test.test', subscription_type: '1', billing_date: '2023-01-01', recurring_amount: '5', frequency: '3', cycles: '0' };
  assert.equal(P.payfastCheckoutSignature(v3, 'payfastsandbox'), '3441682c5d8a65486f5b7cc8ce41d146');
  assert.equal(P.payfastCheckoutSignature({ ...v3, cycles: '' }, 'payfastsandbox'), '0e0f32548edb257cf86105d9291e4c0d');

  const v4 = { merchant_id: '10000100', merchant_key: '46f0cd694581a', return_url: 'https://market.example.test/pay/return?job=42',
    cancel_url: 'https://market.example.test/pay/cancel?job=42', notify_url: 'https://market.example.test/pay/payfast/itn',
    name_first: 'Thandi', name_last: 'Mokoena', email_address: 'thandi@example.test', m_payment_id: 'JOB-42-M1', amount: '1500.00',
    item_name: 'Logo design – milestone 1', item_description: '', custom_str1: 'escrow', custom_int1: '42' };
  // V-PF-4's string puts custom_str1 before custom_int1, against the §1.2 table
  // and the official V-PF-3 (custom_int* first), which the simulator follows;
  // the vector still checks the encoding (en dash, ?/= in URLs, empty skipped).
  const v4order = ['merchant_id', 'merchant_key', 'return_url', 'cancel_url', 'notify_url', 'name_first', 'name_last',
    'email_address', 'm_payment_id', 'amount', 'item_name', 'custom_str1', 'custom_int1'];
  const v4pairs = v4order.map((k) => [k, v4[k]]);
  assert.equal(P.payfastItnSignature(v4pairs, 'jt7NOE43FZPn'), '7d2ec254482a256960fd4f728c4f7c5e');
  assert.equal(P.payfastItnSignature(v4pairs, ''), 'b33a527606c2ab17f2415ce196c9c3d5');
  const { custom_str1: _s, custom_int1: _i, ...v4plain } = v4;
  assert.equal(P.payfastCheckoutSignature(v4plain, 'jt7NOE43FZPn'),
    crypto.createHash('md5').update(P.payfastItnString(v4pairs.slice(0, 11), 'jt7NOE43FZPn')).digest('hex'));

  const itn5 = P.parseFormPairs('m_payment_id=JOB-42-M1&pf_payment_id=1089250&payment_status=COMPLETE&item_name=Logo+design+%E2%80%93+milestone+1&item_description=&amount_gross=1500.00&amount_fee=-34.50&amount_net=1465.50&custom_str1=escrow&custom_str2=&custom_str3=&custom_str4=&custom_str5=&custom_int1=42&custom_int2=&custom_int3=&custom_int4=&custom_int5=&name_first=Thandi&name_last=Mokoena&email_address=thandi%40example.test&merchant_id=10000100&signature=d430a916fd5b65e350bb016fce9380b6');
  assert.equal(P.payfastItnSignature(itn5, 'jt7NOE43FZPn'), 'd430a916fd5b65e350bb016fce9380b6');

  const v6 = { merchant_id: '10000100', merchant_key: '46f0cd694581a', return_url: 'https://market.example.test/pay/return',
    cancel_url: 'https://market.example.test/pay/cancel', notify_url: 'https://market.example.test/pay/payfast/itn', m_payment_id: 'SUB-7',
    amount: '99.00', item_name: 'Pro membership', subscription_type: '1', billing_date: '2025-07-01', recurring_amount: '99.00', frequency: '3', cycles: '0' };
  assert.equal(P.payfastCheckoutSignature(v6, 'jt7NOE43FZPn'), '8819dce494abe96bd16d558864fb507c');

  const itn7 = P.parseFormPairs('m_payment_id=SUB-7&pf_payment_id=1124001&payment_status=COMPLETE&item_name=Pro+membership&item_description=&amount_gross=99.00&amount_fee=-2.28&amount_net=96.72&custom_str1=&custom_str2=&custom_str3=&custom_str4=&custom_str5=&custom_int1=&custom_int2=&custom_int3=&custom_int4=&custom_int5=&name_first=Thandi&name_last=Mokoena&email_address=thandi%40example.test&merchant_id=10000100&token=dc0521d3-55fe-269b-fa00-b647310d760f&billing_date=2025-07-01');
  assert.equal(P.payfastItnSignature(itn7, 'jt7NOE43FZPn'), '409867d5544b3426253f74ba66a78613');

  const hdr = { 'merchant-id': '10000100', version: 'v1', timestamp: '2025-01-15T10:00:00+02:00' };
  assert.equal(P.payfastApiSignature(hdr, 'jt7NOE43FZPn'), 'b05ac97ce4f62b48c5afecc7a944da7b');
  assert.equal(P.payfastApiSignature({ ...hdr, amount: 15000, reason: 'Milestone cancelled', acc_type: 'savings', notify_buyer: 1 }, 'jt7NOE43FZPn'),
    '63eea84c62861ecc0570664dfde43927');
  assert.equal(P.phpUrlencode('a b~c/é'), 'a+b%7Ec%2F%C3%A9');
});

test('Ozow vectors V-OZ-1..3 (§2.5)', () => {
  const key = '215114531AFF7134A94C88CEEA48E';
  assert.equal(P.ozowRequestHash({ SiteCode: 'TSTSTE0001', CountryCode: 'ZA', CurrencyCode: 'ZAR', Amount: '25.00', TransactionReference: '123',
    BankReference: 'ABC123', CancelUrl: 'http://demo.ozow.com/cancel.aspx', ErrorUrl: 'http://demo.ozow.com/error.aspx',
    SuccessUrl: 'http://demo.ozow.com/success.aspx', NotifyUrl: 'http://demo.ozow.com/notify.aspx', IsTest: 'false' }, key),
  'eedcba106cd8fef3ba6cec5ec80de7d7d7fc90343028bf95b908718c671d0fe885ca08b206d788de009d237a93c18e66edf6ede3f5ca7057e23474106465dcc6');
  assert.equal(P.ozowRequestHash({ SiteCode: 'TSTSTE0001', CountryCode: 'ZA', CurrencyCode: 'ZAR', Amount: '1500.00', TransactionReference: 'JOB-42-M1',
    BankReference: 'JOB42 M1', Optional1: 'escrow', Optional2: '', Customer: 'Thandi Mokoena', CancelUrl: 'https://market.example.test/pay/ozow/cancel',
    ErrorUrl: 'https://market.example.test/pay/ozow/error', SuccessUrl: 'https://market.example.test/pay/ozow/success',
    NotifyUrl: 'https://market.example.test/pay/ozow/notify', IsTest: 'true', AllowVariableAmount: 'false' }, key),
  '06196a2c788ef6406abc5d0286e4cafb5296764cacf4efac8449e570a0dece9184398e273989e07334ad12331353499e3bc56cac66c3bd29e13b66ddf70f34bc');
  assert.equal(P.ozowResponseHash({ SiteCode: 'TSTSTE0001', TransactionId: '5c0a6ab3-6f67-4b2e-9a8e-1d2f3c4b5a69', TransactionReference: 'JOB-42-M1',
    Amount: '1500.00', Status: 'Complete', Optional1: 'escrow', CurrencyCode: 'ZAR', IsTest: 'true', StatusMessage: '' }, key),
  'aa9766cfc67b2a2aeb363578732b17422e13ca1d76ad685ec81a1139d720cf799784ae17e492e5364f69ca5654e0fe6f15df83cdeee887b561f7dfdccfeb5bff');
});

test('Stripe vectors V-ST-1, V-ST-2 (§3.5) and a two-secret header', () => {
  assert.equal(P.stripeSignature('whsec_test_secret', 1614000000, '{"id":"evt_test_webhook","object":"event"}'),
    '92aa6d54e0ff430d69e93c79b5abe517df5059b3eb69a5bf7854423572ed0beb');
  assert.equal(P.stripeSignature('whsec_test_secret', 1614000000, '{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}'),
    '8eb8456fdc50c73d65423feb3f509a6043354a4f253c375c8ea024a44914b93a');
  assert.equal(P.stripeSignatureHeader(['whsec_test_secret', 'whsec_other'], 1614000000, '{"id":"evt_test_webhook","object":"event"}'),
    `t=1614000000,v1=92aa6d54e0ff430d69e93c79b5abe517df5059b3eb69a5bf7854423572ed0beb,v1=${P.stripeSignature('whsec_other', 1614000000, '{"id":"evt_test_webhook","object":"event"}')}`);
});

test('PayPal vector V-PP-1 (§4)', () => {
  const body = '{"id":"WH-TEST-0001","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"5O190127TN364715T","status":"COMPLETED"}}';
  assert.equal(P.crc32(body), 1180763003);
  assert.equal(P.paypalMessage('69cd13f0-d67a-11e5-baa3-778b53f4ae55', '2016-02-18T20:01:35Z', '1JE4291016473214C', body),
    '69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|1JE4291016473214C|1180763003');
});

test('Alipay vector V-AL-1 (§5.4): sorted string without sign/sign_type verifies, with sign_type it does not', () => {
  const pub = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv
3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7Yp
vI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcO
rxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5r
DU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV
5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5
JwIDAQAB
-----END PUBLIC KEY-----`;
  const p = { gmt_create: '2019-08-15 15:56:22', charset: 'utf-8', seller_email: 'z97-yuquerevenue@service.aliyun.com',
    subject: '语雀空间 500人规模', buyer_id: '2088102534368455', invoice_amount: '0.10', notify_id: '2019081500222155624068450559358070',
    fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]', notify_type: 'trade_status_sync', trade_status: 'TRADE_SUCCESS',
    receipt_amount: '0.10', buyer_pay_amount: '0.10', sign_type: 'RSA2', app_id: '2019073166072302', seller_id: '2088531891668739',
    gmt_payment: '2019-08-15 15:56:24', notify_time: '2019-08-15 15:56:25', version: '1.0', out_trade_no: '20190815155618536-564-57',
    total_amount: '0.10', trade_no: '2019081522001468450512505578', auth_app_id: '2019073166072302', buyer_logon_id: 'xud***@126.com',
    point_amount: '0.00',
    sign: 'QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==' };
  const s = P.alipaySignString(p, { withSignType: false });
  assert.equal(s, 'app_id=2019073166072302&auth_app_id=2019073166072302&buyer_id=2088102534368455&buyer_logon_id=xud***@126.com&buyer_pay_amount=0.10&charset=utf-8&fund_bill_list=[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]&gmt_create=2019-08-15 15:56:22&gmt_payment=2019-08-15 15:56:24&invoice_amount=0.10&notify_id=2019081500222155624068450559358070&notify_time=2019-08-15 15:56:25&notify_type=trade_status_sync&out_trade_no=20190815155618536-564-57&point_amount=0.00&receipt_amount=0.10&seller_email=z97-yuquerevenue@service.aliyun.com&seller_id=2088531891668739&subject=语雀空间 500人规模&total_amount=0.10&trade_no=2019081522001468450512505578&trade_status=TRADE_SUCCESS&version=1.0');
  assert.equal(P.rsaVerify(s, p.sign, pub), true);
  assert.equal(P.rsaVerify(P.alipaySignString(p, { withSignType: true }), p.sign, pub), false);
});

test('WeChat Pay vectors V-WX-1..5 (§6.5)', () => {
  const pub = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt
/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+
U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4
SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oU
xwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmd
a7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT
8wIDAQAB
-----END PUBLIC KEY-----`;
  const body = '{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}';
  const sig = 'tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==';
  assert.equal(P.rsaVerify(P.wechatResponseMessage('1624523846', 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz', body), sig, pub), true);
  assert.equal(P.rsaVerify(P.wechatResponseMessage('1624523847', 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz', body), sig, pub), false);
  // V-WX-4: "source" signed by the same test key pair
  assert.equal(P.rsaVerify('source', 'BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==', pub), true);
  const r = JSON.parse(body).resource;
  assert.equal(P.wechatDecrypt('testMchAPIv3Key0', r.nonce, r.associated_data, r.ciphertext),
    '{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}');
  assert.equal(P.wechatDecrypt('testAPIv3Key0000', 'wCq51qZv4Yfg', 'Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8', 'FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC'), 'Hello World');
  const plain = '{"mchid":"1900000001","appid":"wx0000000000000001","out_trade_no":"JOB42M1","transaction_id":"4200000000000000000000000001","trade_type":"NATIVE","trade_state":"SUCCESS","trade_state_desc":"OK","bank_type":"OTHERS","attach":"","success_time":"2025-01-15T10:00:00+08:00","payer":{"openid":"oTEST000000000000000000000001"},"amount":{"total":150000,"payer_total":150000,"currency":"CNY","payer_currency":"CNY"}}';
  assert.equal(P.wechatEncrypt('k3Y9fW2pQ7zL4mN8rT1vX6bC0dE5gH2j', 'a1b2c3d4e5f6', 'transaction', plain),
    'O/o8OnNXf1mCsMrLiQsy8hQpR1+u7+gAwTof1LVDuti9xWc/iYjGx+3yVLTF0OjRca6Gz2AecoXrGVdSQSl/M3dBHEUpwk+DU67nvAxpTRToHorPzuCkQd54cUSlxfHFts7HpTL2MLv12c8VUjCtEzMM3+X2CIrBzeSag4CrFNXGtUop+/VzexAuDy/SQzEkB0LoA0z9BSBxmi3jBXILk0N6RivS786dtG49fMUaiu+sRZJ7jkEh4NWROznrxnjYgWyKe+nXF3r+rl0a3ld/kNR09nzsv5xTZhF2T/e4Cu2E5S2xmSGr0Q6nF9qoe5UEuyO24FPNIAlgy0S6tjKR7eLT9BPOhWnCmmChdBy0rebRKI3+niviY1i3Cwqg44XdBK3yqCKXZHVvlM0Yo83nuTtkvOulWQ+UG9PY2lL+DODaAsxlF762WM390Baxl/SvREnOOe8dR2cP+dYjfi+Gplpe4dk44nNJ758iFH0cm66Wxc5dd7E3BqiwFwuhn74gkGBlXeTiQQ4ihZa7bCrIx1nfljuYIlPsdggyPCfsjmpRyhje/PUGTw==');
});

test('money helpers never use floats', () => {
  assert.equal(P.decimalToMinor('1500.00'), 150000);
  assert.equal(P.decimalToMinor('0.1'), 10);
  assert.equal(P.decimalToMinor('12'), 1200);
  assert.equal(P.decimalToMinor('1.234'), null);
  assert.equal(P.decimalToMinor('-1.00'), null);
  assert.equal(P.minorToDecimal(150005), '1500.05');
});

// ---------------------------------------------------------------------------
// a private simulator and a receiver playing souk's notify endpoint
// ---------------------------------------------------------------------------
let sim, recv, recvBase, keysDir;
const inbox = [];                  // {path, headers, body, remote}
let answer = () => ({ status: 200, body: 'OK' });

before(async () => {
  recv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const m = { path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remote: req.socket.remoteAddress };
      inbox.push(m);
      const a = answer(m);
      res.writeHead(a.status, { 'Content-Type': 'text/plain' });
      res.end(a.body);
    });
  });
  await new Promise((r) => recv.listen(0, '127.0.0.1', r));
  recvBase = `http://127.0.0.1:${recv.address().port}`;
  keysDir = mkdtempSync(join(tmpdir(), 'paysim-keys-'));
  sim = P.createPaysim({ port: 0, notifyBase: recvBase, keysDir, quiet: true, lagMs: 50, retryBaseMs: 100, retryCapMs: 400, retryMax: 6,
    validateTimeoutMs: 1500 });
  await sim.listen();
});
after(async () => {
  await sim?.close();
  recv?.closeAllConnections?.();
  await new Promise((r) => recv.close(r));
  rmSync(keysDir, { recursive: true, force: true });
});

const uniq = (p) => `${p}${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual' });
  res.text_ = await res.text();
  return res;
}
const pj = async (...a) => JSON.parse((await post(...a)).text_);
const form = (o) => Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const control = (o) => post(`${sim.url}/_control`, JSON.stringify(o), { 'Content-Type': 'application/json' });
const logOf = async (q) => (await fetch(`${sim.url}/_log?${new URLSearchParams(q)}`)).json();
const notices = (pathPart, ref) => inbox.filter((m) => m.path.includes(pathPart) && m.body.includes(ref));

function payfastForm(ref, amount = '150.00') {
  const f = { merchant_id: C.payfast.merchant_id, merchant_key: C.payfast.merchant_key,
    return_url: `${recvBase}/payments/${ref}/return`, cancel_url: `${recvBase}/payments/${ref}/cancel`,
    notify_url: `${recvBase}/payments/notify/payfast`, name_first: 'Thandi', email_address: 'thandi@example.test',
    m_payment_id: ref, amount, item_name: 'Logo design – Basic ~ 1' };
  f.signature = P.payfastCheckoutSignature(f, C.payfast.passphrase);
  return f;
}

test('PayFast: a bad signature is an error page; approve redirects with no data, then a signed ITN that validate confirms', async () => {
  const ref = uniq('pf');
  const bad = { ...payfastForm(ref), amount: '1.00' };
  const r0 = await post(`${sim.url}/payfast/eng/process`, form(bad), FORM);
  assert.equal(r0.status, 400);
  assert.match(r0.text_, /signature does not match/i);

  const r1 = await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref)), FORM);
  assert.equal(r1.status, 200);
  for (const b of ['Approve', 'Decline', 'Cancel']) assert.match(r1.text_, new RegExp(`<button[^>]*>${b}</button>`));
  assert.match(r1.text_, /ZAR 150\.00/);
  const action = /<form method="post" action="([^"]+)"/.exec(r1.text_)[1];
  const r2 = await post(sim.url + action, 'action=approve', FORM);
  assert.equal(r2.status, 303);
  assert.equal(r2.headers.get('location'), `${recvBase}/payments/${ref}/return`);   // no payment data

  const itn = await until(() => notices('/payments/notify/payfast', ref)[0], 5000, 20);
  assert.ok(itn, 'ITN delivered');
  assert.equal(itn.remote, '127.0.0.1');
  const pairs = P.parseFormPairs(itn.body);
  assert.deepEqual(pairs.map(([k]) => k), ['m_payment_id', 'pf_payment_id', 'payment_status', 'item_name', 'item_description',
    'amount_gross', 'amount_fee', 'amount_net', 'custom_str1', 'custom_str2', 'custom_str3', 'custom_str4', 'custom_str5',
    'custom_int1', 'custom_int2', 'custom_int3', 'custom_int4', 'custom_int5', 'name_first', 'name_last', 'email_address',
    'merchant_id', 'signature']);
  const o = Object.fromEntries(pairs);
  assert.equal(o.payment_status, 'COMPLETE');
  assert.equal(o.amount_gross, '150.00');
  assert.equal(o.item_name, 'Logo design – Basic ~ 1');
  assert.match(itn.body, /item_name=Logo\+design\+%E2%80%93\+Basic\+%7E\+1&/);
  // the ITN signature by hand: md5 of the posted string up to &signature, plus the passphrase
  const upTo = itn.body.slice(0, itn.body.indexOf('&signature='));
  assert.equal(o.signature, crypto.createHash('md5').update(`${upTo}&passphrase=${C.payfast.passphrase}`).digest('hex'));

  // validate: VALID for that body (again and again), INVALID for anything else
  const v1 = await post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM);
  assert.equal(v1.text_, 'VALID');
  assert.equal((await post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM)).text_, 'VALID');
  const forged = upTo.replace('amount_gross=150.00', 'amount_gross=1.00');
  assert.equal((await post(`${sim.url}/payfast/eng/query/validate`, forged, FORM)).text_, 'INVALID');
  // knobs: invalid, error, timeout
  await control({ reference: ref, validate: 'invalid' });
  assert.equal((await post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM)).text_, 'INVALID');
  await control({ reference: ref, validate: 'error' });
  assert.equal((await post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM)).status, 500);
  await control({ reference: ref, validate: 'timeout' });
  await assert.rejects(post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM));
  await control({ reference: ref, validate: null });
  assert.equal((await post(`${sim.url}/payfast/eng/query/validate`, upTo, FORM)).text_, 'VALID');
  const vlog = await logOf({ kind: 'validate', reference: ref });
  assert.ok(vlog.length >= 6);
});

test('PayFast: retried until HTTP 200, every attempt logged; duplicate, tampered amount and foreign source', async () => {
  const ref = uniq('pfr');
  let n = 0;
  answer = (m) => (m.body.includes(ref) && ++n < 3 ? { status: 503, body: 'busy' } : { status: 200, body: '' });
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref)), FORM);
  const j = await pj(`${sim.url}/_pay/payfast/${ref}`, JSON.stringify({ action: 'approve' }));
  assert.equal(j.state, 'paid');
  assert.equal(j.redirect, `${recvBase}/payments/${ref}/return`);
  const acked = await until(async () => (await logOf({ reference: ref, kind: 'notify' })).find((e) => e.acked), 8000, 50);
  assert.ok(acked);
  const attempts = await logOf({ reference: ref, kind: 'notify' });
  assert.deepEqual(attempts.map((e) => [e.attempt, e.status, e.acked]), [[1, 503, false], [2, 503, false], [3, 200, true]]);
  assert.equal(new Set(attempts.map((e) => e.request.body)).size, 1, 'the same ITN bytes on every retry');
  answer = () => ({ status: 200, body: '' });

  // duplicate 3 + tampered amount (signature still valid) + from 127.0.0.2
  const ref2 = uniq('pfd');
  await control({ reference: ref2, duplicate: 3, tamper: 'amount' });
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref2, '99.00')), FORM);
  await post(`${sim.url}/_pay/payfast/${ref2}`, JSON.stringify({ action: 'approve' }));
  const three = await until(() => notices('/payments/notify/payfast', ref2).length === 3 && notices('/payments/notify/payfast', ref2), 5000, 20);
  assert.ok(three, 'three copies');
  assert.equal(new Set(three.map((m) => m.body)).size, 1);
  const pairs = P.parseFormPairs(three[0].body);
  assert.equal(Object.fromEntries(pairs).amount_gross, '100.00');
  assert.equal(Object.fromEntries(pairs).signature, P.payfastItnSignature(pairs, C.payfast.passphrase), 'signature recomputed, valid');
  // the knobs were one-shot
  assert.deepEqual(JSON.parse((await control({})).text_).knobs[ref2], {});

  const ref3 = uniq('pfs');
  await control({ reference: ref3, tamper: 'source' });
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref3)), FORM);
  await post(`${sim.url}/_pay/payfast/${ref3}`, JSON.stringify({ action: 'approve' }));
  const foreign = await until(() => notices('/payments/notify/payfast', ref3)[0], 5000, 20);
  assert.equal(foreign.remote, '127.0.0.2');

  const ref4 = uniq('pfw');
  await control({ reference: ref4, tamper: 'signature' });
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref4)), FORM);
  await post(`${sim.url}/_pay/payfast/${ref4}`, JSON.stringify({ action: 'approve' }));
  const wrong = await until(() => notices('/payments/notify/payfast', ref4)[0], 5000, 20);
  const wp = P.parseFormPairs(wrong.body);
  assert.notEqual(Object.fromEntries(wp).signature, P.payfastItnSignature(wp, C.payfast.passphrase));

  // cancel: browser to cancel_url, no ITN; a second action is refused
  const ref5 = uniq('pfc');
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref5)), FORM);
  const c = await pj(`${sim.url}/_pay/payfast/${ref5}`, JSON.stringify({ action: 'cancel' }));
  assert.equal(c.redirect, `${recvBase}/payments/${ref5}/cancel`);
  assert.equal((await post(`${sim.url}/_pay/payfast/${ref5}`, JSON.stringify({ action: 'approve' }))).status, 409);
});

test('PayFast API: signed headers required, refund limited to what was paid', async () => {
  const ref = uniq('pfa');
  await post(`${sim.url}/payfast/eng/process`, form(payfastForm(ref, '200.00')), FORM);
  const j = await pj(`${sim.url}/_pay/payfast/${ref}`, JSON.stringify({ action: 'approve' }));
  const hdr = { 'merchant-id': C.payfast.merchant_id, version: 'v1', timestamp: '2025-01-15T10:00:00+02:00' };
  const call = async (method, path, body, sign = true) => {
    const sig = P.payfastApiSignature({ ...hdr, ...(body ?? {}) }, sign ? C.payfast.passphrase : 'nope');
    const res = await fetch(`${sim.url}/payfast/api${path}?testing=true`, { method, headers: { ...hdr, signature: sig, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: await res.json() };
  };
  assert.equal((await call('GET', '/ping', null, false)).status, 401);
  assert.equal((await call('GET', '/ping')).status, 200);
  const q = await call('GET', `/refunds/query/${j.id}`);
  assert.equal(q.json.data.response.amount_available, 20000);
  assert.equal((await call('POST', `/refunds/${j.id}`, { amount: 15000, reason: 'Cancelled', notify_buyer: 1 })).status, 200);
  assert.equal((await call('POST', `/refunds/${j.id}`, { amount: 6000, reason: 'Cancelled', notify_buyer: 1 })).status, 400);
  assert.equal((await call('GET', `/refunds/query/${j.id}`)).json.data.response.amount_available, 5000);
});

test('Ozow: HashCheck verified; the redirect and the notification carry a valid Hash; status API needs the ApiKey', async () => {
  const ref = uniq('oz');
  const f = { SiteCode: C.ozow.site_code, CountryCode: 'ZA', CurrencyCode: 'ZAR', Amount: '250.00', TransactionReference: ref,
    BankReference: 'SOUK 1', CancelUrl: `${recvBase}/payments/${ref}/cancel`, ErrorUrl: `${recvBase}/payments/${ref}/cancel`,
    SuccessUrl: `${recvBase}/payments/${ref}/return`, NotifyUrl: `${recvBase}/payments/notify/ozow`, IsTest: 'true' };
  f.HashCheck = P.ozowRequestHash(f, C.ozow.private_key);
  assert.equal((await post(`${sim.url}/ozow/`, form({ ...f, Amount: '1.00' }), FORM)).status, 400);
  const page = await post(`${sim.url}/ozow/`, form(f), FORM);
  assert.equal(page.status, 200);
  await control({ reference: ref, pending: true });
  const action = /<form method="post" action="([^"]+)"/.exec(page.text_)[1];
  const r = await post(sim.url + action, 'action=approve', FORM);
  assert.equal(r.status, 303);
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.pathname, `/payments/${ref}/return`);
  const q = Object.fromEntries(loc.searchParams);
  assert.equal(q.Status, 'Complete');
  assert.equal(q.Hash, P.ozowResponseHash(q, C.ozow.private_key));
  const two = await until(() => notices('/payments/notify/ozow', ref).length >= 2 && notices('/payments/notify/ozow', ref), 5000, 20);
  const statuses = two.map((m) => Object.fromEntries(P.parseFormPairs(m.body)));
  assert.deepEqual(statuses.map((s) => s.Status), ['Pending', 'Complete']);
  for (const s of statuses) assert.equal(s.Hash, P.ozowResponseHash(s, C.ozow.private_key));
  assert.deepEqual(Object.keys(statuses[1]), [...P.OZOW_RESPONSE_FIELDS, 'Hash']);

  const api = (path, key = C.ozow.api_key) => fetch(`${sim.url}/ozow/api${path}`, { headers: { ApiKey: key, Accept: 'application/json' } });
  assert.equal((await api(`/GetTransactionByReference?siteCode=${C.ozow.site_code}&transactionReference=${ref}`, 'wrong')).status, 401);
  const txt = await (await api(`/GetTransactionByReference?siteCode=${C.ozow.site_code}&transactionReference=${ref}`)).text();
  assert.match(txt, /"amount":250\.00/);
  const list = JSON.parse(txt);
  assert.equal(list[0].status, 'Complete');
  assert.equal(list[0].transactionId, statuses[1].TransactionId);
  const one = await (await api(`/GetTransaction?siteCode=${C.ozow.site_code}&transactionId=${statuses[1].TransactionId}`)).json();
  assert.equal(one.transactionReference, ref);
  await control({ reference: ref, status_api: 'error' });
  assert.equal((await api(`/GetTransactionByReference?siteCode=${C.ozow.site_code}&transactionReference=${ref}`)).status, 500);
  await control({ reference: ref, status_api: null });
});

test('Stripe: API key required; Idempotency-Key replays the same answer and refuses other parameters', async () => {
  const ref = uniq('st');
  const auth = { Authorization: `Bearer ${C.stripe.secret_key}`, ...FORM };
  const params = form({ amount: 4200, currency: 'usd', 'metadata[reference]': ref, description: 'Logo design' });
  assert.equal((await post(`${sim.url}/stripe/v1/payment_intents`, params, { ...FORM, Authorization: 'Bearer sk_test_wrong' })).status, 401);
  const key = crypto.randomUUID();
  const a = await post(`${sim.url}/stripe/v1/payment_intents`, params, { ...auth, 'Idempotency-Key': key });
  const b = await post(`${sim.url}/stripe/v1/payment_intents`, params, { ...auth, 'Idempotency-Key': key });
  assert.equal(a.status, 200);
  assert.equal(b.text_, a.text_);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  const c = await post(`${sim.url}/stripe/v1/payment_intents`, form({ amount: 4300, currency: 'usd', 'metadata[reference]': ref }), { ...auth, 'Idempotency-Key': key });
  assert.equal(c.status, 400);
  assert.equal(JSON.parse(c.text_).error.type, 'idempotency_error');
  const pi = JSON.parse(a.text_);
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.metadata.reference, ref);

  // hosted page: wrong secret refused; approve -> return_url?payment_intent=..., then a signed event
  assert.equal((await fetch(`${sim.url}/stripe/pay?payment_intent=${pi.id}&client_secret=nope`)).status, 400);
  const ret = `${recvBase}/payments/${ref}/return`;
  const pg = await fetch(`${sim.url}/stripe/pay?${new URLSearchParams({ payment_intent: pi.id, client_secret: pi.client_secret, return_url: ret, cancel_url: `${recvBase}/payments/${ref}/cancel` })}`);
  const html = await pg.text();
  assert.equal(pg.status, 200);
  assert.match(html, /USD 42\.00/);
  const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&amp;/g, '&')]));
  const action = /<form method="post" action="([^"]+)"/.exec(html)[1];
  const r = await post(sim.url + action, form({ ...fields, action: 'approve' }), FORM);
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `${ret}?payment_intent=${pi.id}&payment_intent_client_secret=${encodeURIComponent(pi.client_secret)}&redirect_status=succeeded`);
  const ev = await until(() => notices('/payments/notify/stripe', pi.id)[0], 5000, 20);
  const sig = ev.headers['stripe-signature'];
  const t = /t=(\d+)/.exec(sig)[1];
  assert.ok(Math.abs(Date.now() / 1000 - Number(t)) < 60);
  assert.equal(/v1=([0-9a-f]{64})/.exec(sig)[1], P.stripeSignature(C.stripe.webhook_secret, t, ev.body));
  const evj = JSON.parse(ev.body);
  assert.equal(evj.type, 'payment_intent.succeeded');
  assert.equal(evj.data.object.amount_received, 4200);

  // retrieve, refund with idempotency (exactly one refund), transfer
  const got = await (await fetch(`${sim.url}/stripe/v1/payment_intents/${pi.id}`, { headers: auth })).json();
  assert.equal(got.status, 'succeeded');
  const rk = crypto.randomUUID();
  const r1 = await post(`${sim.url}/stripe/v1/refunds`, form({ payment_intent: pi.id, amount: 4200 }), { ...auth, 'Idempotency-Key': rk });
  const r2 = await post(`${sim.url}/stripe/v1/refunds`, form({ payment_intent: pi.id, amount: 4200 }), { ...auth, 'Idempotency-Key': rk });
  assert.equal(r1.status, 200);
  assert.equal(JSON.parse(r2.text_).id, JSON.parse(r1.text_).id);
  const r3 = await post(`${sim.url}/stripe/v1/refunds`, form({ payment_intent: pi.id, amount: 100 }), { ...auth, 'Idempotency-Key': crypto.randomUUID() });
  assert.equal(r3.status, 400);
  const tr = await post(`${sim.url}/stripe/v1/transfers`, form({ amount: 100, currency: 'usd', destination: 'acct_1Seller' }), { ...auth, 'Idempotency-Key': crypto.randomUUID() });
  assert.equal(JSON.parse(tr.text_).object, 'transfer');

  // decline: payment_failed event, redirect_status=failed; tamper signature uses another secret
  const pi2 = JSON.parse((await post(`${sim.url}/stripe/v1/payment_intents`, form({ amount: 500, currency: 'usd', 'metadata[reference]': `${ref}x` }), auth)).text_);
  await control({ reference: `${ref}x`, tamper: 'signature' });
  const d = await pj(`${sim.url}/_pay/stripe/${ref}x`, JSON.stringify({ action: 'decline', return_url: ret }));
  assert.match(d.redirect, /redirect_status=failed/);
  const ev2 = await until(() => notices('/payments/notify/stripe', pi2.id)[0], 5000, 20);
  assert.equal(JSON.parse(ev2.body).type, 'payment_intent.payment_failed');
  const t2 = /t=(\d+)/.exec(ev2.headers['stripe-signature'])[1];
  assert.notEqual(/v1=([0-9a-f]{64})/.exec(ev2.headers['stripe-signature'])[1], P.stripeSignature(C.stripe.webhook_secret, t2, ev2.body));
});

test('PayPal: OAuth, order, approve link, capture; the webhook verifies by postback and offline', async () => {
  const ref = uniq('pp');
  const basic = Buffer.from(`${C.paypal.client_id}:${C.paypal.secret}`).toString('base64');
  const tok = await pj(`${sim.url}/paypal/v1/oauth2/token`, 'grant_type=client_credentials', { ...FORM, Authorization: `Basic ${basic}` });
  assert.equal(tok.token_type, 'Bearer');
  const H = { Authorization: `Bearer ${tok.access_token}`, 'Content-Type': 'application/json' };
  const order = await pj(`${sim.url}/paypal/v2/checkout/orders`, JSON.stringify({ intent: 'CAPTURE',
    purchase_units: [{ reference_id: ref, amount: { currency_code: 'USD', value: '10.50' } }],
    payment_source: { paypal: { experience_context: { return_url: `${recvBase}/payments/${ref}/return`, cancel_url: `${recvBase}/payments/${ref}/cancel` } } } }), H);
  const approve = order.links.find((l) => l.rel === 'approve').href;
  assert.equal((await fetch(approve)).status, 200);
  const j = await pj(`${sim.url}/_pay/paypal/${ref}`, JSON.stringify({ action: 'approve' }));
  assert.match(j.redirect, new RegExp(`token=${order.id}&PayerID=`));
  const cap = await post(`${sim.url}/paypal/v2/checkout/orders/${order.id}/capture`, '{}', H);
  assert.equal(cap.status, 201);
  assert.equal(JSON.parse(cap.text_).status, 'COMPLETED');
  const hook = await until(() => inbox.find((m) => m.path.endsWith('/notify/paypal') && m.body.includes('PAYMENT.CAPTURE.COMPLETED') && m.body.includes(order.id)), 5000, 20);
  const h = hook.headers;
  const cert = new crypto.X509Certificate(await (await fetch(h['paypal-cert-url'])).text());
  assert.equal(P.rsaVerify(P.paypalMessage(h['paypal-transmission-id'], h['paypal-transmission-time'], C.paypal.webhook_id, hook.body),
    h['paypal-transmission-sig'], cert.publicKey), true);
  const verify = (event) => post(`${sim.url}/paypal/v1/notifications/verify-webhook-signature`,
    `{"auth_algo":"${h['paypal-auth-algo']}","cert_url":"${h['paypal-cert-url']}","transmission_id":"${h['paypal-transmission-id']}","transmission_sig":"${h['paypal-transmission-sig']}","transmission_time":"${h['paypal-transmission-time']}","webhook_id":"${C.paypal.webhook_id}","webhook_event":${event}}`, H);
  assert.equal(JSON.parse((await verify(hook.body)).text_).verification_status, 'SUCCESS');
  assert.equal(JSON.parse((await verify(JSON.stringify(JSON.parse(hook.body), null, 1))).text_).verification_status, 'FAILURE', 're-serialised JSON fails');
});

test('Alipay: RSA2-signed gateway.do; notify signed with the platform key, resent until the body is exactly "success"', async () => {
  const ref = uniq('al');
  const merchant = crypto.createPrivateKey(readFileSync(join(keysDir, 'alipay-merchant.pem')));
  const platformPub = crypto.createPublicKey(readFileSync(join(keysDir, 'alipay-platform.pub.pem')));
  const p = { app_id: C.alipay.app_id, method: 'alipay.trade.page.pay', format: 'JSON', charset: 'utf-8', sign_type: 'RSA2',
    timestamp: '2025-01-15 10:00:00', version: '1.0', notify_url: `${recvBase}/payments/notify/alipay`, return_url: `${recvBase}/payments/${ref}/return`,
    biz_content: JSON.stringify({ out_trade_no: ref, total_amount: '88.80', subject: '设计 Logo', product_code: 'FAST_INSTANT_TRADE_PAY' }) };
  p.sign = P.rsaSign(P.alipaySignString(p), merchant);
  assert.equal((await post(`${sim.url}/alipay/gateway.do`, form({ ...p, biz_content: p.biz_content.replace('88.80', '1.00') }), FORM)).status, 400);
  assert.equal((await post(`${sim.url}/alipay/gateway.do`, form(p), FORM)).status, 200);
  let n = 0;
  answer = (m) => (m.body.includes(ref) && ++n === 1 ? { status: 200, body: 'ok' } : { status: 200, body: 'success' });
  const j = await pj(`${sim.url}/_pay/alipay/${ref}`, JSON.stringify({ action: 'approve' }));
  const back = Object.fromEntries(new URL(j.redirect).searchParams);
  assert.equal(P.rsaVerify(P.alipaySignString(back, { withSignType: false }), back.sign, platformPub), true);
  const two = await until(() => notices('/payments/notify/alipay', ref).length >= 2 && notices('/payments/notify/alipay', ref), 5000, 20);
  answer = () => ({ status: 200, body: 'OK' });
  assert.equal(two[0].body, two[1].body, 'the same notify_id and bytes on the resend');
  const f = Object.fromEntries(P.parseFormPairs(two[0].body));
  assert.equal(f.trade_status, 'TRADE_SUCCESS');
  assert.equal(f.total_amount, '88.80');
  assert.equal(P.rsaVerify(P.alipaySignString(f, { withSignType: false }), f.sign, platformPub), true);
  // trade.query answers with a signed response
  const q = { app_id: C.alipay.app_id, method: 'alipay.trade.query', format: 'JSON', charset: 'utf-8', sign_type: 'RSA2',
    timestamp: '2025-01-15 10:00:00', version: '1.0', biz_content: JSON.stringify({ out_trade_no: ref }) };
  q.sign = P.rsaSign(P.alipaySignString(q), merchant);
  const text = (await post(`${sim.url}/alipay/gateway.do`, form(q), FORM)).text_;
  const raw = P.rawJsonMember(text, 'alipay_trade_query_response');
  assert.equal(JSON.parse(raw).trade_status, 'TRADE_SUCCESS');
  assert.equal(P.rsaVerify(raw, JSON.parse(text).sign, platformPub), true);
});

test('WeChat Pay: the merchant Authorization is verified; the phone page pays; the notification decrypts and verifies', async () => {
  const ref = uniq('wx');
  const merchant = crypto.createPrivateKey(readFileSync(join(keysDir, 'wechat-merchant.pem')));
  const platformPub = crypto.createPublicKey(readFileSync(join(keysDir, 'wechat-platform.pub.pem')));
  const body = JSON.stringify({ appid: C.wechat.appid, mchid: C.wechat.mchid, description: 'Logo', out_trade_no: ref,
    notify_url: `${recvBase}/payments/notify/wechat`, amount: { total: 8880, currency: 'CNY' } });
  const authz = (b, key = merchant) => {
    const ts = Math.floor(Date.now() / 1000); const nonce = crypto.randomBytes(8).toString('hex');
    const sig = P.rsaSign(P.wechatRequestMessage('POST', '/v3/pay/transactions/native', ts, nonce, b), key);
    return `WECHATPAY2-SHA256-RSA2048 mchid="${C.wechat.mchid}",nonce_str="${nonce}",timestamp="${ts}",serial_no="${C.wechat.serial}",signature="${sig}"`;
  };
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  assert.equal((await post(`${sim.url}/wechat/v3/pay/transactions/native`, body, { 'Content-Type': 'application/json', Authorization: authz(body, other) })).status, 401);
  const r = await post(`${sim.url}/wechat/v3/pay/transactions/native`, body, { 'Content-Type': 'application/json', Authorization: authz(body) });
  assert.equal(r.status, 200);
  const h = r.headers;
  assert.equal(P.rsaVerify(P.wechatResponseMessage(h.get('wechatpay-timestamp'), h.get('wechatpay-nonce'), r.text_), h.get('wechatpay-signature'), platformPub), true);
  const codeUrl = JSON.parse(r.text_).code_url;
  assert.match(codeUrl, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  const phone = await (await fetch(`${sim.url}/wechat/scan?code_url=${encodeURIComponent(codeUrl)}`)).text();
  assert.match(phone, /CNY 88\.80/);
  const action = /<form method="post" action="([^"]+)"/.exec(phone)[1];
  assert.equal((await post(sim.url + action, 'action=approve', FORM)).status, 200);
  const n = await until(() => inbox.find((m) => m.path.endsWith('/notify/wechat') && m.headers['wechatpay-nonce'] && !m.seen && (m.seen = true)), 5000, 20);
  const nh = n.headers;
  assert.equal(nh['wechatpay-serial'], C.wechat.platform_serial);
  assert.equal(P.rsaVerify(P.wechatResponseMessage(nh['wechatpay-timestamp'], nh['wechatpay-nonce'], n.body), nh['wechatpay-signature'], platformPub), true);
  const res = JSON.parse(n.body).resource;
  assert.equal(res.associated_data, 'transaction');
  const txn = JSON.parse(P.wechatDecrypt(C.wechat.apiv3_key, res.nonce, res.associated_data, res.ciphertext));
  assert.equal(txn.out_trade_no, ref);
  assert.equal(txn.trade_state, 'SUCCESS');
  assert.equal(txn.amount.total, 8880);
});

test('the instance ./dev test started answers, with its keys on disk', { skip: !process.env.SOUK_TEST_PAYSIM_URL }, async () => {
  const res = await fetch(`${process.env.SOUK_TEST_PAYSIM_URL}/healthz`);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(await (await fetch(`${process.env.SOUK_TEST_PAYSIM_URL}/_log?kind=none`)).json()));
  const dir = process.env.SOUK_TEST_PAYSIM_KEYS;
  for (const f of ['alipay-merchant.pem', 'alipay-platform.pub.pem', 'wechat-merchant.pem', 'wechat-platform.pub.pem', 'paypal-cert.pem'])
    assert.ok(existsSync(join(dir, f)), f);
});
