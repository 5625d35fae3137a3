// Keys and certificates made at test time: nothing secret is ever committed.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { issueCertificate } from '../../sandbox/certificates';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePkcs1Pem: string;
  privatePkcs8Pem: string;
  publicPem: string;
}

export function rsaKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePkcs1Pem: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    privatePkcs8Pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

export interface CertificateSpec {
  subject: forge.pki.CertificateField[];
  issuer: forge.pki.CertificateField[];
  serialHex: string;
  keys: TestKeyPair;
  signer: TestKeyPair;
}

export function certificatePem(spec: CertificateSpec): string {
  return issueCertificate({
    subject: spec.subject,
    issuer: spec.issuer,
    serialHex: spec.serialHex,
    publicKey: spec.keys.publicKey,
    signingKey: spec.signer.privateKey,
  });
}

/** Rewrites a certificate's signature algorithm to ECDSA-with-SHA256, as a non-RSA root would carry. */
export function withEcdsaSignatureAlgorithm(pem: string): string {
  const asn1 = forge.asn1.fromDer(forge.pem.decode(pem)[0]!.body);
  const ecdsaWithSha256 = forge.asn1.oidToDer('1.2.840.10045.4.3.2').getBytes();
  const outer = asn1.value as forge.asn1.Asn1[];
  const tbs = outer[0]!.value as forge.asn1.Asn1[];
  const tbsAlgorithm = tbs[2]!.value as forge.asn1.Asn1[];
  const outerAlgorithm = outer[1]!.value as forge.asn1.Asn1[];
  tbsAlgorithm[0]!.value = ecdsaWithSha256;
  outerAlgorithm[0]!.value = ecdsaWithSha256;
  const der = forge.asn1.toDer(asn1).getBytes();
  return forge.pem.encode({ type: 'CERTIFICATE', body: der });
}
