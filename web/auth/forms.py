"""Forms of the login, the password change and the API tokens on the profile page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField("current", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("new", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=120)])
    days = IntegerField("days", validators=[Optional(), NumberRange(min=1, max=3650)])
