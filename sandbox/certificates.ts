// Issues the sandbox's certificate chain (root, Alipay public cert, app cert) with node-forge.
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';

export type DistinguishedName = forge.pki.CertificateField[];

export interface CertificateRequest {
  subject: DistinguishedName;
  issuer: DistinguishedName;
  serialHex: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  validDays?: number;
}

export function issueCertificate(request: CertificateRequest): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    request.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  );
  cert.serialNumber = request.serialHex;
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + (request.validDays ?? 3650) * 86_400_000);
  cert.setSubject(request.subject);
  cert.setIssuer(request.issuer);
  const signer = forge.pki.privateKeyFromPem(
    request.signingKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
  );
  cert.sign(signer, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
