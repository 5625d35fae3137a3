import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { certificateSn, rootCertificateSn } from '../../alipay/certs';
import { certificatePem, rsaKeyPair, withEcdsaSignatureAlgorithm } from '../helpers/keys';

const rootKeys = rsaKeyPair();
const appKeys = rsaKeyPair();

const rootName = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'Ant Financial' },
  { shortName: 'OU', value: 'Certification Authority' },
  { shortName: 'CN', value: 'Ant Financial Certification Authority R1' },
];
const intermediateName = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'Ant Financial' },
  { shortName: 'OU', value: 'Certification Authority' },
  { shortName: 'CN', value: 'Ant Financial Certification Authority Class 1 R1' },
];
// A serial too large for a double: the SN must use its exact decimal digits.
const LARGE_SERIAL_HEX = '7a3c5e9f1b2d4c6e8a0b1c2d3e4f5061';

const appCert = certificatePem({
  subject: [
    { shortName: 'CN', value: '2021000000000000' },
    { shortName: 'O', value: 'Merchant' },
  ],
  issuer: intermediateName,
  serialHex: LARGE_SERIAL_HEX,
  keys: appKeys,
  signer: rootKeys,
});
const rootCert = certificatePem({
  subject: rootName,
  issuer: rootName,
  serialHex: '01',
  keys: rootKeys,
  signer: rootKeys,
});
const secondRoot = certificatePem({
  subject: intermediateName,
  issuer: rootName,
  serialHex: '0a1b2c',
  keys: rootKeys,
  signer: rootKeys,
});

describe('certificate serial numbers', () => {
  it('hashes the RFC 2253 issuer DN and the decimal serial', () => {
    const issuer =
      'CN=Ant Financial Certification Authority Class 1 R1,OU=Certification Authority,O=Ant Financial,C=CN';
    const serial = BigInt(`0x${LARGE_SERIAL_HEX}`).toString(10);
    expect(serial.length).toBeGreaterThan(16);
    expect(certificateSn(appCert)).toBe(
      createHash('md5')
        .update(issuer + serial)
        .digest('hex'),
    );
  });

  it('agrees with alipay-sdk for the app certificate and the root bundle', () => {
    const sdk = new AlipaySdk({
      appId: '2021000000000000',
      privateKey: appKeys.privatePkcs1Pem.trim(),
      appCertContent: appCert,
      alipayPublicCertContent: appCert,
      alipayRootCertContent: `${rootCert}\n${secondRoot}`,
    });
    expect(certificateSn(appCert)).toBe(sdk.config.appCertSn);
    expect(rootCertificateSn(`${rootCert}\n${secondRoot}`)).toBe(sdk.config.alipayRootCertSn);
  });

  it('skips certificates whose signature algorithm is not in the RSA family', () => {
    const ecdsaRoot = withEcdsaSignatureAlgorithm(secondRoot);
    const bundle = `${rootCert}\n${ecdsaRoot}\n${secondRoot}`;
    expect(rootCertificateSn(bundle)).toBe(`${certificateSn(rootCert)}_${certificateSn(secondRoot)}`);
    expect(rootCertificateSn(bundle).split('_')).toHaveLength(2);
  });

  it('refuses text without a certificate', () => {
    expect(() => certificateSn('not a certificate')).toThrow(/no CERTIFICATE/);
  });
});
