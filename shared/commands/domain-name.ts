/**
 * The one rule for a libvirt domain name Ferry accepts, used wherever a name reaches an argv, a log file name or a
 * schema. It is libvirt's own rule, measured on the lab (libvirt 9.0, `virsh define`): a name may start with '-' or
 * '.', hold spaces, tabs and any Unicode; libvirt refuses '/' ("XML error: name a/b cannot contain '/'"), a line
 * break (virXMLCheckIllegalChars(name, "\n") in every driver's define), and a name whose definition file
 * /etc/libvirt/qemu/NAME.xml would be longer than a file name may be (255 bytes: "Failed to create file"). Other
 * control characters cannot be written in XML 1.0 at all. Names are safe in an argv because they always follow an
 * option (`--domain -x`), and every argument is quoted by shared/shell/quote.ts.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';

/** 255 bytes of a file name minus ".xml". */
export const DOMAIN_NAME_MAX_BYTES = 251;

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** Why libvirt would refuse `name`, or undefined when it is a name libvirt accepts. Pure. */
export function domainNameProblem(name: string): string | undefined {
  if (name === '') return 'A domain name cannot be empty.';
  if (name.includes('/')) return `"${name}" contains '/', which libvirt refuses in a domain name.`;
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(name)) return 'A domain name cannot hold a line break or other control characters (libvirt refuses them).';
  if (utf8Length(name) > DOMAIN_NAME_MAX_BYTES) return `A domain name is at most ${DOMAIN_NAME_MAX_BYTES} bytes (libvirt stores it as the file name NAME.xml).`;
  return undefined;
}

export function isDomainName(name: string): boolean {
  return domainNameProblem(name) === undefined;
}

export function checkDomainName(name: string): Result<string, FerryError> {
  const problem = domainNameProblem(name);
  return problem === undefined ? ok(name) : err(ferryError('input.invalid', problem));
}
