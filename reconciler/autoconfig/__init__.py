"""The mail-client standards for pre-populating settings, in and out.

* :mod:`.ispdb` reads autoconfig XML (``clientConfig version="1.1"``, the format of
  Thunderbird's public ISPDB) into domain entries, refusing anything it cannot trust;
* :mod:`.xml_out` writes one domain's settings as ``config-v1.1.xml``;
* :mod:`.srv` writes one domain's RFC 6186 / RFC 8314 SRV records;
* :mod:`.writer` lays the files out as a web server and a DNS zone would serve them and
  writes only what changed;
* :mod:`.merge` merges imported entries into a ``domains.yaml`` without disturbing it;
* :mod:`.autodiscover` reads Outlook's Autodiscover (POX) request and writes its answer;
* :mod:`.mobileconfig` writes one address's Apple configuration profile and signs it,
  :mod:`.signing_files` reads the certificate and key that sign it.

Everything but the writer and the file reading (``ispdb.read_sources``,
``signing_files``) is pure.
"""
