# Separate from 0003: on PostgreSQL, altering a table in the transaction that just updated its foreign keys
# fails with "pending trigger events".

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_login_throttle_and_token_scope"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
    ]
