"""The laptop's tools, apart from the jobs: no Glue run imports them, and the wheel that
Terraform uploads to Glue leaves them out.

generate (sample till exports, with menu.py and truth.py), replay (raw rows into Kinesis),
stream_demo (`make stream`), bench (`make bench`), moto_kinesis (moto's server with one
fix) and class_archive (the JVM class archive `make setup` dumps). May import anything of
the library below the command line; nothing imports them but cli and the tests.
"""
