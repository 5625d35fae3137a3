// Certificate mode: the serial numbers Alipay expects in `app_cert_sn` and `alipay_root_cert_sn`.
// node-forge reads the ASN.1 (it needs no RSA key to do so, so non-RSA roots parse too).
import { createHash } from 'node:crypto';
import forge from 'node-forge';

const RSA_SIGNATURE_FAMILY = '1.2.840.113549.1.1';

interface RdnAttribute {
  type: string;
  shortName?: string;
  name?: string;
  value: string;
}

// node-forge exports this helper, but its type definitions omit it.
const rdnAttributesAsArray = (
  forge.pki as unknown as { RDNAttributesAsArray(rdn: forge.asn1.Asn1): RdnAttribute[] }
).RDNAttributesAsArray;

interface ParsedCertificate {
  issuer: RdnAttribute[];
  serialHex: string;
  signatureOid: string;
}

function children(node: forge.asn1.Asn1): forge.asn1.Asn1[] {
  if (!Array.isArray(node.value)) throw new Error('malformed certificate');
  return node.value;
}

function parseCertificate(der: string): ParsedCertificate {
  const [tbs, signatureAlgorithm] = children(forge.asn1.fromDer(der));
  if (!tbs || !signatureAlgorithm) throw new Error('malformed certificate');
  const fields = children(tbs);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, ...
  const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  const oid = children(signatureAlgorithm)[0];
  if (!serial || !issuer || !oid || typeof serial.value !== 'string' || typeof oid.value !== 'string') {
    throw new Error('malformed certificate');
  }
  return {
    issuer: rdnAttributesAsArray(issuer),
    serialHex: forge.util.bytesToHex(serial.value),
    signatureOid: forge.asn1.derToOid(oid.value),
  };
}

function pemBlocks(pem: string): string[] {
  if (!pem.includes('-----BEGIN')) return [];
  return forge.pem
    .decode(pem)
    .filter((block) => block.type === 'CERTIFICATE')
    .map((block) => block.body);
}

function snOf(certificate: ParsedCertificate): string {
  // RFC 2253 order: the issuer's RDNs last to first, e.g. CN=...,OU=...,O=...,C=...
  const issuerName = [...certificate.issuer]
    .reverse()
    .map((attribute) => `${attribute.shortName ?? attribute.name ?? attribute.type}=${attribute.value}`)
    .join(',');
  const serialDecimal = BigInt(`0x${certificate.serialHex || '0'}`).toString(10);
  return createHash('md5')
    .update(issuerName + serialDecimal, 'utf8')
    .digest('hex');
}

/** `app_cert_sn` (or the SN of Alipay's public certificate): MD5 of issuer DN + decimal serial. */
export function certificateSn(pem: string): string {
  const [der] = pemBlocks(pem);
  if (!der) throw new Error('no CERTIFICATE block in the PEM text');
  return snOf(parseCertificate(der));
}

/** `alipay_root_cert_sn`: the SNs of the bundle's RSA-family certificates, joined by `_`. */
export function rootCertificateSn(bundlePem: string): string {
  const certificates = pemBlocks(bundlePem).map(parseCertificate);
  if (certificates.length === 0) throw new Error('no CERTIFICATE block in the root bundle');
  return certificates
    .filter((certificate) => certificate.signatureOid.startsWith(RSA_SIGNATURE_FAMILY))
    .map(snOf)
    .join('_');
}
