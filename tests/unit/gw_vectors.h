/*
 * gw_vectors.h - the published public keys of the gateway test vectors in
 * ../shared/docs/payment-gateways.md, shared by the unit tests
 * (tests/unit/test_*.c) and the fuzz targets (tests/fuzz/fuzz_*.c), so
 * each key is written once.  String-literal macros (PEM text), nothing
 * else: include it anywhere.
 */
#ifndef SOUK_TESTS_GW_VECTORS_H
#define SOUK_TESTS_GW_VECTORS_H

/* V-WX-1 [OFFICIAL] (§6): the WeChat Pay SDK's published test platform key
 * (wechatpay-go), whose private half is V-WX-4's TESTING KEY. */
#define GW_VEC_WX1_PUB_PEM \
    "-----BEGIN PUBLIC KEY-----\n" \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt\n" \
    "/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+\n" \
    "U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4\n" \
    "SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oU\n" \
    "xwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmd\n" \
    "a7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT\n" \
    "8wIDAQAB\n" \
    "-----END PUBLIC KEY-----\n"

/* V-AL-1 [OFFICIAL] (§5): the Alipay public key of the notification in
 * alipay/alipay-sdk-nodejs-all test/alipay.test.ts. */
#define GW_VEC_AL1_PUB_PEM \
    "-----BEGIN PUBLIC KEY-----\n" \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv\n" \
    "3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7Yp\n" \
    "vI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcO\n" \
    "rxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5r\n" \
    "DU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV\n" \
    "5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5\n" \
    "JwIDAQAB\n" \
    "-----END PUBLIC KEY-----\n"

#endif
